"""Bulk writes for imports: stage an Arrow table in a temporary table, then merge it in two
statements, counting inserted, updated and unchanged rows exactly.

Staging is the fast path of each database: the DBAPI ``executemany`` on SQLite (values
formatted as SQLAlchemy stores them, so later comparisons see equal text), ``COPY … FROM
STDIN`` with CSV written by Arrow on PostgreSQL. The merge is ``UPDATE … FROM staging WHERE
<a column differs>``, then ``INSERT … SELECT … WHERE NOT EXISTS``, under a write lock on the
target (SQLite ≥ 3.33 and PostgreSQL): a row that did not change is not written at all, and
every count is exact. Everything runs inside the caller's transaction.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import sqlalchemy as sa

CHUNK_ROWS = 100_000
SQLITE_CACHE_KIB = 256 * 1024
POSTGRES_WORK_MEM = "256MB"


@dataclass(frozen=True)
class Counts:
    """What a merge did: rows inserted, rows updated, rows found identical."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.inserted + other.inserted,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
        )


@dataclass(frozen=True)
class Upsert:
    """Merge rows selected from staging into ``target``, keyed by ``key``.

    ``values`` maps target columns to SQL expressions over ``source`` (a FROM clause that
    joins the staging table ``stage``, one row per key, to what it refers to). A column in
    ``keep`` takes the stored value when its expression is NULL (the file did not say), or the
    given default for a new row.
    ``touch`` is set to the current time on every changed row.
    """

    target: str
    key: tuple[str, ...]
    values: dict[str, str]
    source: str
    stage: str
    keep: dict[str, str] = field(default_factory=dict)
    touch: str | None = None


def is_sqlite(conn: sa.Connection) -> bool:
    """True on SQLite, False on PostgreSQL."""
    return conn.dialect.name == "sqlite"


def differs(conn: sa.Connection) -> str:
    """The null-safe inequality operator of the connection's database."""
    return "IS NOT" if is_sqlite(conn) else "IS DISTINCT FROM"


def stage(
    conn: sa.Connection,
    name: str,
    table: pa.Table,
    on_chunk: Callable[[int], None] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> None:
    """Create temporary table ``name`` shaped like ``table`` and load every row into it."""
    sqlite = is_sqlite(conn)
    columns = ", ".join(f"{col} {_sql_type(t, sqlite)}" for col, t in _fields(table))
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {'temp.' if sqlite else ''}{name}")
    suffix = "" if sqlite else " ON COMMIT DROP"
    if sqlite:
        # a bigger page cache for this connection: merging a million rows touches every index
        conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        conn.exec_driver_sql("PRAGMA temp_store = MEMORY")
    else:
        # hash joins of a million staged rows fit in memory instead of spilling to disk;
        # SET LOCAL ends with the transaction
        conn.exec_driver_sql(f"SET LOCAL work_mem = '{POSTGRES_WORK_MEM}'")
    conn.exec_driver_sql(f"CREATE TEMP TABLE {name} ({columns}){suffix}")
    raw = conn.connection.driver_connection
    for start in range(0, table.num_rows, chunk_rows):
        chunk = table.slice(start, chunk_rows)
        if sqlite:
            _sqlite_rows(raw, name, chunk)
        else:
            _copy_rows(raw, name, chunk)
        if on_chunk is not None:
            on_chunk(chunk.num_rows)
    if not sqlite:
        conn.exec_driver_sql(f"ANALYZE {name}")


def drop_stage(conn: sa.Connection, name: str) -> None:
    """Drop a staging table before commit (PostgreSQL drops it at commit anyway)."""
    if is_sqlite(conn):
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{name}")


def _fields(table: pa.Table) -> list[tuple[str, pa.DataType]]:
    return [(f.name, f.type) for f in table.schema]


def _sql_type(kind: pa.DataType, sqlite: bool) -> str:
    if pa.types.is_integer(kind):
        return "BIGINT"
    if pa.types.is_boolean(kind):
        return "BOOLEAN"
    if pa.types.is_timestamp(kind):
        return "TEXT" if sqlite else "TIMESTAMP"
    if pa.types.is_date(kind):
        return "TEXT" if sqlite else "DATE"
    return "TEXT"


def _sqlite_rows(raw: object, name: str, chunk: pa.Table) -> None:
    columns = []
    for col, kind in _fields(chunk):
        values = chunk.column(col)
        if pa.types.is_timestamp(kind):
            values = _sqlite_timestamps(values)
        elif pa.types.is_date(kind):
            values = pc.strftime(values, "%Y-%m-%d")
        columns.append(values.to_pylist())
    marks = ", ".join("?" * len(columns))
    cursor = raw.cursor()  # type: ignore[attr-defined]
    try:
        cursor.executemany(f"INSERT INTO temp.{name} VALUES ({marks})", zip(*columns, strict=True))
    finally:
        cursor.close()


def _sqlite_timestamps(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Timestamps as SQLAlchemy writes them to SQLite: ``2024-01-31 10:00:00.000000``.

    numpy formats ISO text about three times faster than Arrow's strftime.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    micros = pc.cast(values, pa.timestamp("us")).cast(pa.int64())
    nulls = pc.is_null(micros).to_numpy(zero_copy_only=False)
    stamps = pc.fill_null(micros, 0).to_numpy().astype("datetime64[us]")
    text = pa.array(np.datetime_as_string(stamps, unit="us"), pa.string(), mask=nulls)
    return pc.replace_substring(text, "T", " ", max_replacements=1)


def copy_into(conn: sa.Connection, name: str, table: pa.Table) -> None:
    """``COPY`` every row of ``table`` into the existing PostgreSQL table ``name``, by chunks,
    inside the caller's transaction."""
    raw = conn.connection.driver_connection
    for start in range(0, table.num_rows, CHUNK_ROWS):
        _copy_rows(raw, name, table.slice(start, CHUNK_ROWS))


def _copy_rows(raw: object, name: str, chunk: pa.Table) -> None:
    buffer = io.BytesIO()
    pacsv.write_csv(chunk, buffer, pacsv.WriteOptions(include_header=False))
    columns = ", ".join(chunk.column_names)
    sql = f"COPY {name} ({columns}) FROM STDIN (FORMAT csv)"
    with raw.cursor() as cursor, cursor.copy(sql) as copy:  # type: ignore[attr-defined]
        copy.write(buffer.getbuffer())


def lock_for_merge(conn: sa.Connection, table: str) -> None:
    """Keep other writers off ``table`` until the transaction ends (readers go on).

    SQLite needs nothing: ``BEGIN IMMEDIATE`` already holds the database's write lock.
    """
    if not is_sqlite(conn):
        conn.exec_driver_sql(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")


def upsert(conn: sa.Connection, plan: Upsert) -> Counts:
    """Merge staged rows into ``plan.target``: update stored rows where a value differs, then
    insert the new ones. Unchanged rows are not written at all.

    The target is locked against other writers first (SQLite's ``BEGIN IMMEDIATE`` already
    holds the database; PostgreSQL takes ``SHARE ROW EXCLUSIVE`` on the table, readers go on),
    so no key can appear between the two statements and the counts are exact. Two plain
    statements instead of ``INSERT … ON CONFLICT DO UPDATE``: on PostgreSQL the latter pays a
    speculative insertion per row, ten times slower on a re-import of unchanged rows.
    """
    target, op = plan.target, differs(conn)
    lock_for_merge(conn, target)
    columns = list(plan.values)
    updates = [c for c in columns if c not in plan.key]
    staged = conn.exec_driver_sql(f"SELECT count(*) FROM {plan.stage}").scalar_one()

    def merged(col: str) -> str:
        expr = plan.values[col]
        return f"COALESCE({expr}, {target}.{col})" if col in plan.keep else expr

    # a table that is empty under our lock has nothing to update or to skip
    empty = not conn.exec_driver_sql(f"SELECT 1 FROM {target} LIMIT 1").first()
    updated = 0
    if updates and not empty:
        sets = [f"{c} = {merged(c)}" for c in updates]
        if plan.touch:
            sets.append(f"{plan.touch} = CURRENT_TIMESTAMP")
        match = " AND ".join(f"{target}.{k} = {plan.values[k]}" for k in plan.key)
        changed = " OR ".join(f"{target}.{c} {op} {merged(c)}" for c in updates)
        updated = conn.exec_driver_sql(
            f"UPDATE {target} SET {', '.join(sets)} FROM {plan.source} "
            f"WHERE {match} AND ({changed})"
        ).rowcount
    exprs = [
        f"COALESCE({plan.values[c]}, {plan.keep[c]})" if c in plan.keep else plan.values[c]
        for c in columns
    ]
    absent = " AND ".join(f"t.{k} = {plan.values[k]}" for k in plan.key)
    new_only = "" if empty else f" WHERE NOT EXISTS (SELECT 1 FROM {target} t WHERE {absent})"
    inserted = conn.exec_driver_sql(
        f"INSERT INTO {target} ({', '.join(columns)}) SELECT {', '.join(exprs)} "
        f"FROM {plan.source}{new_only}"
    ).rowcount
    return Counts(inserted, updated, staged - inserted - updated)


def update_from(
    conn: sa.Connection,
    target: str,
    stage_name: str,
    match: str,
    sets: dict[str, str],
    touch: str | None = None,
) -> Counts:
    """Update ``target`` rows matched by ``match`` (over ``target`` and staging ``s``) where a
    value differs; rows already equal count as unchanged. Never inserts."""
    op = differs(conn)
    assignments = [f"{col} = {expr}" for col, expr in sets.items()]
    if touch:
        assignments.append(f"{touch} = CURRENT_TIMESTAMP")
    changed = " OR ".join(f"{target}.{col} {op} {expr}" for col, expr in sets.items())
    found = conn.exec_driver_sql(
        f"SELECT count(*) FROM {stage_name} s JOIN {target} ON {match}"
    ).scalar_one()
    updated = conn.exec_driver_sql(
        f"UPDATE {target} SET {', '.join(assignments)} FROM {stage_name} s "
        f"WHERE {match} AND ({changed})"
    ).rowcount
    return Counts(0, updated, found - updated)


def insert_missing(conn: sa.Connection, target: str, column: str, expr: str, source: str) -> int:
    """Insert the distinct non-null values of ``expr`` over ``source`` into ``target.column``
    where absent; returns how many were new (customers named by an orders file, say)."""
    return conn.exec_driver_sql(
        f"INSERT INTO {target} ({column}) SELECT DISTINCT {expr} FROM {source} "
        f"WHERE {expr} IS NOT NULL "
        f"AND NOT EXISTS (SELECT 1 FROM {target} t WHERE t.{column} = {expr}) "
        # one order for every importer: concurrent imports cannot wait on each other in a cycle
        f"ORDER BY 1 ON CONFLICT ({column}) DO NOTHING"
    ).rowcount
