"""Helpers for the import tests: run the CLI, write small files, read the store with plain SQL."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner, Result

from holdfast.cli import app

runner = CliRunner()


def run(*args: str | Path) -> Result:
    """``holdfast *args`` in-process."""
    return runner.invoke(app, [str(a) for a in args])


def import_(kind: str, path: Path, url: str, *flags: str) -> Result:
    """``holdfast import KIND PATH --db URL FLAGS``."""
    return run("import", kind, path, "--db", url, *flags)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` (leading newline dropped) and return the path."""
    path.write_bytes(text.lstrip("\n").encode(encoding))
    return path


def rows(url: str, query: str) -> list[tuple]:
    """Rows of a plain SQL query against the store (never through the import code)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(query).all()]
    finally:
        engine.dispose()


def count(url: str, table: str) -> int:
    """Number of rows in a store table, 0 if the table does not exist yet."""
    engine = sa.create_engine(url)
    try:
        if table not in sa.inspect(engine).get_table_names():
            return 0
        with engine.connect() as conn:
            return conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()
    finally:
        engine.dispose()


def nothing_written(url: str) -> bool:
    """True when the store holds no customers, orders or import runs."""
    tables = ("customers", "orders", "order_lines", "subscriptions", "survey_responses")
    return all(count(url, t) == 0 for t in (*tables, "import_runs"))


def summary_line(result: Result) -> str:
    """The final summary line of a successful import."""
    return [line for line in result.output.splitlines() if " read " in line][-1]


def when(value: object) -> str:
    """A stored timestamp as ``YYYY-MM-DD HH:MM:SS`` (SQLite gives text, PostgreSQL datetimes)."""
    text = value.isoformat(sep=" ") if hasattr(value, "isoformat") else str(value)
    return text[:19]
