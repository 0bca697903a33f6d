"""Benchmark ``holdfast import``: orders into SQLite and PostgreSQL, against pandas ``to_sql``.

Run from the repository root::

    python benchmarks/bench_import.py                      # 1 M orders, 3 runs, SQLite only
    python benchmarks/bench_import.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test
    python benchmarks/bench_import.py --orders 100000 --runs 1 --pg URL   # quick

The orders come from ``holdfast simulate`` (same seed every time; the file has one row per
order, about a third as many customers). Every measurement is a fresh process: the time is
taken inside it around the import call (not the interpreter start), the peak memory is the
process's maximum resident set from ``wait4``. A "new store" case gets an empty SQLite file
or a new PostgreSQL database each run.

holdfast cases: a first import (checks every row, creates the customers, one transaction),
the same file again (nothing changes), and a file with every tenth amount changed. The peer is
what an analyst writes without holdfast: ``pandas.read_csv`` + ``DataFrame.to_sql`` (append
into a new table, default method, chunks of 100,000 rows): no checks, no customers, no
upsert, floats for money, so it does less work. Prints a markdown table of medians.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

HOLDFAST = """
import json, sys, time
from pathlib import Path
from holdfast.services.ingest import ImportRequest, import_file
began = time.perf_counter()
summary = import_file(ImportRequest("orders", Path(sys.argv[1])), sys.argv[2])
print(json.dumps({"seconds": time.perf_counter() - began, "line": summary.line()}))
"""

PANDAS = """
import json, sys, time
import pandas as pd
import sqlalchemy as sa
began = time.perf_counter()
frame = pd.read_csv(sys.argv[1], parse_dates=["ordered_at"])
engine = sa.create_engine(sys.argv[2])
frame.to_sql("orders_peer", engine, if_exists="append", index=False, chunksize=100_000)
engine.dispose()
print(json.dumps({"seconds": time.perf_counter() - began, "line": f"{len(frame):,} rows"}))
"""


def child(code: str, *args: str) -> tuple[float, float, str]:
    """In-process seconds, peak RSS (MiB) and summary line of one fresh Python process."""
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out = process.stdout.read()  # type: ignore[union-attr]
    err = process.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark child failed: {err.decode()}")
    result = json.loads(out.decode().strip().splitlines()[-1])
    return result["seconds"], usage.ru_maxrss / 1024, result["line"]


class Stores:
    """Fresh stores: SQLite files in a folder, PostgreSQL databases created from an admin URL."""

    def __init__(self, folder: Path, pg_admin: str | None) -> None:
        self.folder = folder
        self.pg_admin = pg_admin
        self.created: list[str] = []

    def new(self, backend: str) -> str:
        name = f"hf_bench_{uuid.uuid4().hex[:10]}"
        if backend == "sqlite":
            return f"sqlite:///{self.folder / (name + '.db')}"
        import sqlalchemy as sa

        engine = sa.create_engine(self.pg_admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        engine.dispose()
        self.created.append(name)
        return sa.engine.make_url(self.pg_admin).set(database=name).render_as_string(False)

    def drop_all(self) -> None:
        if not self.created:
            return
        import sqlalchemy as sa

        engine = sa.create_engine(self.pg_admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for name in self.created:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()


def make_data(folder: Path, orders: int) -> dict[str, Path]:
    """The simulated orders as CSV and Parquet, and a CSV with every tenth amount changed."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from holdfast.simulate import SimulationConfig, simulate_to

    config = SimulationConfig(orders=orders, seed=1)
    simulate_to(config, folder / "csv", "csv", progress=False)
    simulate_to(config, folder / "parquet", "parquet", progress=False)
    table = pq.read_table(folder / "parquet" / "orders.parquet")
    tenth = pa.array([i % 10 == 0 for i in range(table.num_rows)])
    bumped = pc.add(table["amount"], pa.scalar(Decimal("1.00"), pa.decimal128(3, 2)))
    amount = pc.cast(pc.if_else(tenth, bumped, table["amount"]), table.schema.field("amount").type)
    changed = table.set_column(table.schema.get_field_index("amount"), "amount", amount)
    changed = changed.set_column(
        changed.schema.get_field_index("ordered_at"),
        "ordered_at",
        pc.cast(changed["ordered_at"], pa.timestamp("s", "UTC")),
    )
    pacsv.write_csv(changed, folder / "changed.csv")
    return {
        "csv": folder / "csv" / "orders.csv",
        "parquet": folder / "parquet" / "orders.parquet",
        "changed": folder / "changed.csv",
    }


def measure(backend: str, data: dict[str, Path], stores: Stores, runs: int) -> list[dict]:
    """All cases for one database: medians of ``runs`` runs."""
    cases: dict[str, list[tuple[float, float, str]]] = {}
    for _ in range(runs):
        url = stores.new(backend)
        cases.setdefault("holdfast: CSV into a new store", []).append(
            child(HOLDFAST, str(data["csv"]), url)
        )
        cases.setdefault("holdfast: the same CSV again (nothing changes)", []).append(
            child(HOLDFAST, str(data["csv"]), url)
        )
        cases.setdefault("holdfast: CSV with 10 % of amounts changed", []).append(
            child(HOLDFAST, str(data["changed"]), url)
        )
        cases.setdefault("holdfast: Parquet into a new store", []).append(
            child(HOLDFAST, str(data["parquet"]), stores.new(backend))
        )
        cases.setdefault("pandas read_csv + to_sql (peer)", []).append(
            child(PANDAS, str(data["csv"]), stores.new(backend))
        )
    peer = statistics.median(t for t, _, _ in cases["pandas read_csv + to_sql (peer)"])
    out = []
    for name, results in cases.items():
        seconds = statistics.median(t for t, _, _ in results)
        out.append(
            {
                "backend": backend,
                "case": name,
                "seconds": seconds,
                "all": [t for t, _, _ in results],
                "peak": max(m for _, m, _ in results),
                "ratio": peer / seconds,
                "line": results[-1][2],
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--pg", help="PostgreSQL URL allowed to CREATE DATABASE (omit: SQLite only)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        began = time.perf_counter()
        data = make_data(folder, args.orders)
        rows = sum(1 for _ in data["csv"].open()) - 1
        print(f"data: {rows:,} orders in {time.perf_counter() - began:.1f} s", file=sys.stderr)
        stores = Stores(folder, args.pg)
        results = []
        try:
            for backend in ["sqlite", "postgresql"] if args.pg else ["sqlite"]:
                results += measure(backend, data, stores, args.runs)
        finally:
            stores.drop_all()
    print(
        f"\n{rows:,} orders; medians of {args.runs} runs; {platform.python_version()}, "
        f"{os.cpu_count()} cores\n"
    )
    print("| database | case | median s | runs (s) | orders/s | peak RSS MiB | × pandas |")
    print("|---|---|---:|---|---:|---:|---:|")
    for r in results:
        runs = ", ".join(f"{t:.1f}" for t in r["all"])
        print(
            f"| {r['backend']} | {r['case']} | {r['seconds']:.1f} | {runs} | "
            f"{rows / r['seconds']:,.0f} | {r['peak']:.0f} | {r['ratio']:.1f} |"
        )
    print()
    for r in results:
        print(f"- {r['backend']}, {r['case']}: {r['line']}")


if __name__ == "__main__":
    main()
