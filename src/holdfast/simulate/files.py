"""Writing a shop to a folder: Parquet (row group per batch) or CSV, plus the truth files.

Files are written under temporary names and renamed only when everything succeeded, so a
failed or interrupted run leaves no half-written shop behind. A folder that is not empty is
refused unless ``force`` is given.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from holdfast.errors import UserError
from holdfast.simulate.config import SimulationConfig
from holdfast.simulate.run import (
    DEFAULT_CHUNK_CUSTOMERS,
    ProgressCallback,
    Shop,
    Tally,
    batches,
    make_plan,
    truth,
)
from holdfast.simulate.tables import SCHEMAS, TABLES, TRUTH_SCHEMA

FORMATS = ("parquet", "csv")
TRUTH_JSON = "truth.json"
TRUTH_CUSTOMERS = "truth_customers.parquet"


@dataclass(frozen=True)
class Written:
    """What a write produced: the folder, the files (in writing order) and the truth."""

    out_dir: Path
    files: list[Path]
    truth: dict[str, Any]


def _csv_schema(schema: pa.Schema) -> pa.Schema:
    """Timestamps to whole seconds, so CSV reads "2024-05-01 10:00:00Z"."""
    fields = [
        f.with_type(pa.timestamp("s", tz="UTC")) if pa.types.is_timestamp(f.type) else f
        for f in schema
    ]
    return pa.schema(fields)


class ShopWriter:
    """Streams batches of shop tables into ``out_dir`` in ``fmt``; commit() makes them visible."""

    def __init__(self, out_dir: str | os.PathLike[str], fmt: str = "parquet", force: bool = False):
        if fmt not in FORMATS:
            raise UserError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
        self.out_dir = Path(out_dir)
        self.fmt = fmt
        _prepare(self.out_dir, force)
        self._final: dict[str, Path] = {n: self.out_dir / f"{n}.{fmt}" for n in TABLES}
        self._final["truth_customers"] = self.out_dir / TRUTH_CUSTOMERS
        self._tmp = {n: p.with_name(f".{p.name}.partial") for n, p in self._final.items()}
        self._writers: dict[str, Any] = {}
        try:
            for name in TABLES:
                self._writers[name] = self._open(name, SCHEMAS[name])
            self._writers["truth_customers"] = pq.ParquetWriter(
                self._tmp["truth_customers"], TRUTH_SCHEMA
            )
        except OSError as error:
            self.abort()
            raise UserError(f"cannot write to {self.out_dir}: {error}") from None

    def _open(self, name: str, schema: pa.Schema) -> Any:
        if self.fmt == "parquet":
            return pq.ParquetWriter(self._tmp[name], schema)
        return pacsv.CSVWriter(self._tmp[name], _csv_schema(schema))

    def write(self, tables: dict[str, pa.Table], truth_customers: pa.Table) -> None:
        """Append one batch (a Parquet row group per table)."""
        for name in TABLES:
            table = tables[name]
            if self.fmt == "csv":
                table = table.cast(_csv_schema(SCHEMAS[name]))
            self._writers[name].write_table(table)
        self._writers["truth_customers"].write_table(truth_customers)

    def commit(self, truth_doc: dict[str, Any]) -> list[Path]:
        """Close the files, write truth.json and move everything into place."""
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
        truth_tmp = self.out_dir / f".{TRUTH_JSON}.partial"
        truth_tmp.write_text(json.dumps(truth_doc, indent=2, ensure_ascii=False) + "\n")
        for other in FORMATS:
            if other != self.fmt:
                for name in TABLES:
                    (self.out_dir / f"{name}.{other}").unlink(missing_ok=True)
        files = []
        for name, final in self._final.items():
            os.replace(self._tmp[name], final)
            files.append(final)
        os.replace(truth_tmp, self.out_dir / TRUTH_JSON)
        files.append(self.out_dir / TRUTH_JSON)
        return files

    def abort(self) -> None:
        """Close and delete whatever was written so far."""
        for writer in self._writers.values():
            with suppress(OSError, pa.ArrowException):
                writer.close()
        self._writers.clear()
        for tmp in self._tmp.values():
            tmp.unlink(missing_ok=True)
        (self.out_dir / f".{TRUTH_JSON}.partial").unlink(missing_ok=True)


def _prepare(out_dir: Path, force: bool) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"{out_dir} exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise UserError(f"{out_dir} is not empty: choose another folder or use --force")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot create {out_dir}: {error}") from None


def write_shop(
    shop: Shop, out_dir: str | os.PathLike[str], fmt: str = "parquet", force: bool = False
) -> list[Path]:
    """Write a shop drawn by :func:`~holdfast.simulate.simulate` to ``out_dir``."""
    writer = ShopWriter(out_dir, fmt, force)
    try:
        writer.write(shop.tables, shop.truth_customers)
        return writer.commit(shop.truth)
    except BaseException:
        writer.abort()
        raise


def simulate_to(
    config: SimulationConfig,
    out_dir: str | os.PathLike[str],
    fmt: str = "parquet",
    progress: bool | ProgressCallback = True,
    *,
    force: bool = False,
    chunk_customers: int = DEFAULT_CHUNK_CUSTOMERS,
) -> Written:
    """Draw a shop straight into files, one batch of customers at a time (bounded memory).

    Gives the same data as ``write_shop(simulate(config), ...)`` whatever ``chunk_customers``
    is. ``progress`` is True for a progress bar on stderr, a callback ``(done, total)`` that
    receives customer counts, or False.
    """
    if chunk_customers < 1:
        raise UserError(f"chunk_customers must be at least 1, got {chunk_customers}")
    plan = make_plan(config)
    writer = ShopWriter(out_dir, fmt, force)
    tally = Tally()
    try:
        with _progress(progress, plan.customers) as advance:
            for tables, truth_rows in batches(plan, chunk_customers, tally):
                writer.write(tables, truth_rows)
                advance(truth_rows.num_rows)
        doc = truth(plan, tally)
        files = writer.commit(doc)
    except BaseException:
        writer.abort()
        raise
    return Written(Path(out_dir), files, doc)


@contextmanager
def _progress(progress: bool | ProgressCallback, total: int) -> Iterator[Callable[[int], None]]:
    if callable(progress):
        done = 0

        def report(step: int) -> None:
            nonlocal done
            done += step
            progress(done, total)

        yield report
    elif progress:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        bar = Progress(
            TextColumn("simulating customers"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        with bar:
            task = bar.add_task("customers", total=total)
            yield lambda step: bar.advance(task, step)
    else:
        yield lambda step: None
