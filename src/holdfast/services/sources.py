"""Where analytics read from: an export file (DuckDB in memory) or the store's own database.

Either way the result is a :class:`DataSource` holding an Ibis backend and the canonical
``orders`` (and, when there are any, ``surveys``) tables with money as numbers in the
currency's units (floats, or a Parquet file's exact decimals), so the analytics run where the
data lives. Files are read and checked like an import (every bad row named, nothing analysed
half), except canonical Parquet files, which DuckDB scans directly so that exports of any
size never pass through Python.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from holdfast.domain.money import currency_exponent, normalize_currency
from holdfast.errors import InputError, Problem, UserError
from holdfast.report.data import mask_password
from holdfast.services.database import upgrade_store
from holdfast.services.ingest import ImportRequest, Observer, Quiet, read_checked_file
from holdfast.store.engine import normalize_url

ORDER_COLUMNS = ("order_id", "customer_id", "ordered_at", "amount", "refunded", "status")
ORDER_REQUIRED = ("order_id", "customer_id", "ordered_at", "amount")
SURVEY_COLUMNS = ("response_id", "customer_id", "responded_at", "survey", "score")
SURVEY_REQUIRED = ("response_id", "responded_at", "score")


@dataclass
class DataSource:
    """Canonical orders (and surveys) on one Ibis backend; close it when done."""

    backend: ibis.BaseBackend
    orders: ir.Table
    surveys: ir.Table | None
    description: str
    currency: str | None

    cached: list[ir.Table] = field(default_factory=list)

    def cache(self, table: ir.Table) -> ir.Table:
        """``table`` computed once into a temporary table of the backend, dropped by close."""
        kept = table.cache()
        self.cached.append(kept)
        return kept

    def close(self) -> None:
        """Drop the cached tables, then release the connection (ibis would otherwise drop
        them at exit, on a closed connection, and complain)."""
        for kept in self.cached:
            kept.release()
        self.cached.clear()
        self.backend.disconnect()


def _float_money(table: pa.Table, exponent: int, columns: tuple[str, ...]) -> pa.Table:
    for name in columns:
        if name in table.column_names:
            values = pc.divide(pc.cast(table[name], pa.float64()), float(10**exponent))
            table = table.set_column(table.schema.get_field_index(name), name, values)
    return table


def _is_canonical_parquet(path: Path, required: tuple[str, ...], when: str) -> bool:
    if path.suffix.lower() != ".parquet" or not path.is_file():
        return False
    schema = pq.read_schema(path)
    names = set(schema.names)
    if not set(required) <= names:
        return False
    kind = schema.field(when).type
    return pa.types.is_timestamp(kind)


def _scan_parquet(
    con: ibis.BaseBackend, path: Path, columns: tuple[str, ...], money: tuple[str, ...]
) -> ir.Table:
    """A view over the Parquet file with the canonical columns: times as naive UTC, money as
    the file's decimals or floats (other numbers as floats). Zone-aware times are shifted
    through their epoch, not DuckDB's ICU cast, which costs a second per 10 million rows on
    every query; decimals are left to the analytics, which cast only the net amount."""
    schema = pq.read_schema(path)
    names = [c for c in columns if c in schema.names]
    parts = []
    for name in names:
        quoted = '"' + name.replace('"', '""') + '"'
        kind = schema.field(name).type
        if pa.types.is_timestamp(kind) and kind.tz is not None:
            parts.append(f"make_timestamp(epoch_us({quoted})) AS {quoted}")
        elif name in money and not (pa.types.is_decimal(kind) or pa.types.is_floating(kind)):
            parts.append(f"CAST({quoted} AS DOUBLE) AS {quoted}")
        else:
            parts.append(quoted)
    return con.sql(f"SELECT {', '.join(parts)} FROM read_parquet({_sql_path(path)})")


def _sql_path(path: Path) -> str:
    """The file's absolute path as an SQL string literal."""
    return "'" + str(path.resolve()).replace("'", "''") + "'"


def _leaf_columns(meta: pq.FileMetaData) -> dict[str, int]:
    """The index of each column in a Parquet footer's row groups, by name."""
    return {meta.schema.column(i).path: i for i in range(meta.num_columns)}


def parquet_null_counts(path: Path, columns: tuple[str, ...]) -> dict[str, int]:
    """Empty values per column that the file's footer accounts for: 0 for a column declared
    required, else the sum of its row groups' null counts when every one records it. Columns
    the footer cannot tell are left out (they must be scanned)."""
    meta = pq.ParquetFile(path).metadata
    schema = meta.schema.to_arrow_schema()
    leaves = _leaf_columns(meta)
    known: dict[str, int] = {}
    for name in columns:
        if name not in leaves:
            continue
        if not schema.field(name).nullable:
            known[name] = 0
            continue
        total = 0
        for group in range(meta.num_row_groups):
            stats = meta.row_group(group).column(leaves[name]).statistics
            if stats is None or not stats.has_null_count:
                break
            total += stats.null_count
        else:
            known[name] = total
    return known


def parquet_currency(con: ibis.BaseBackend, path: Path, requested: str | None) -> str | None:
    """The one currency of a directly scanned Parquet file's amounts: that of its ``currency``
    column (from the footer when every row group tells it, else by a scan of that column),
    which must agree with ``requested``; ``requested`` when the file has no such column or it
    is empty. Amounts in several currencies would add up different money: like an import, the
    analysis refuses them, naming the codes and their rows."""
    wanted = normalize_currency(requested) if requested else None
    codes = _footer_currencies(path)
    if codes is None:
        found = con.sql(
            f"SELECT upper(currency) AS code, count(*) AS n FROM read_parquet({_sql_path(path)}) "
            "WHERE currency IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1"
        ).to_pyarrow()
        codes = dict(zip(found["code"].to_pylist(), found["n"].to_pylist(), strict=True))
    if not codes:
        return wanted
    expected = wanted or (next(iter(codes)) if len(codes) == 1 else None)
    ranked = sorted(codes.items(), key=lambda item: (-item[1], item[0]))
    other = [(code, n) for code, n in ranked if code != expected]
    if other:
        why = (
            f"the amounts are in {expected}"
            if expected
            else "the file mixes currencies, and revenue adds up one: give a file per currency"
        )
        problems = [
            Problem(
                f"{n:,} row{'' if n == 1 else 's'} in {code}; {why}",
                file=str(path),
                column="currency",
                value=code,
            )
            for code, n in other
        ]
        raise InputError(f"{path.name}: amounts in more than one currency", problems)
    try:
        return normalize_currency(expected)
    except UserError as error:
        raise UserError(f"{path.name}, column currency: {error}") from None


def _footer_currencies(path: Path) -> dict[str, int] | None:
    """Rows per upper-cased currency code when the footer tells them (every row group holds
    one code, by its statistics), else None; {} without a currency column."""
    meta = pq.ParquetFile(path).metadata
    leaves = _leaf_columns(meta)
    if "currency" not in leaves:
        return {}
    codes: dict[str, int] = {}
    for group in range(meta.num_row_groups):
        chunk = meta.row_group(group)
        stats = chunk.column(leaves["currency"]).statistics
        if stats is None or not stats.has_null_count:
            return None
        if stats.null_count == chunk.num_rows:
            continue
        if not stats.has_min_max:
            return None
        low, high = (str(v).upper() for v in (stats.min, stats.max))
        if low != high:
            return None
        if chunk.num_rows > stats.null_count:
            codes[low] = codes.get(low, 0) + chunk.num_rows - stats.null_count
    return codes


def _check_required(table: ir.Table, path: Path, required: tuple[str, ...]) -> None:
    """Refuse nulls in required columns of a directly scanned Parquet file (from its footer
    where it can tell, else by one scan of the other columns)."""
    nulls = parquet_null_counts(path, required)
    unknown = [c for c in required if c not in nulls]
    if unknown:
        counts = table.aggregate(
            **{f"null_{c}": table[c].isnull().cast("int64").sum() for c in unknown}
        ).to_pyarrow()
        nulls |= {c: counts[f"null_{c}"][0].as_py() or 0 for c in unknown}
    problems = [
        Problem(f"{nulls[c]:,} empty values", file=str(path), column=c)
        for c in required
        if nulls[c] > 0
    ]
    if problems:
        raise InputError(f"{path.name}: required columns have empty values", problems)


def _file_table(
    con: ibis.BaseBackend,
    request: ImportRequest,
    name: str,
    columns: tuple[str, tuple[str, ...], tuple[str, ...]],
    money: tuple[str, ...],
    observer: Observer,
    timezone: str,
    default_currency: str,
) -> tuple[ir.Table, str | None]:
    when, required, columns = columns
    plain = not request.columns and request.read.format in (None, "parquet")
    if plain and _is_canonical_parquet(request.path, required, when):
        observer.note(f"Reading {request.path.name} (Parquet, scanned in place)")
        table = _scan_parquet(con, request.path, columns, money)
        _check_required(table, request.path, required)
        # only a table with amounts answers for its currency column (survey answers do not)
        if not money:
            return table, request.currency
        return table, parquet_currency(con, request.path, request.currency)
    checked = read_checked_file(
        request, observer, timezone=timezone, default_currency=default_currency
    )
    data = _float_money(checked.table, currency_exponent(checked.currency), money)
    present = [c for c in columns if c in data.column_names]
    return con.create_table(name, data.select(present), temp=True), checked.currency


def open_file(
    orders: ImportRequest,
    surveys: ImportRequest | None = None,
    observer: Observer | None = None,
    *,
    timezone: str = "UTC",
    default_currency: str = "USD",
) -> DataSource:
    """Orders (and survey answers) from export files, in an in-memory DuckDB."""
    observer = observer or Quiet()
    for request in (orders, surveys):
        if request is not None and not request.path.exists():
            raise UserError(f"no such file: {request.path}")
    con = ibis.duckdb.connect()
    con.raw_sql("SET TimeZone = 'UTC'")
    try:
        order_table, currency = _file_table(
            con,
            replace(orders, kind="orders"),
            "orders",
            ("ordered_at", ORDER_REQUIRED, ORDER_COLUMNS),
            ("amount", "refunded"),
            observer,
            timezone,
            default_currency,
        )
        survey_table = None
        if surveys is not None:
            survey_table, _ = _file_table(
                con,
                replace(surveys, kind="surveys"),
                "surveys",
                ("responded_at", SURVEY_REQUIRED, SURVEY_COLUMNS),
                (),
                observer,
                timezone,
                default_currency,
            )
    except BaseException:
        con.disconnect()
        raise
    return DataSource(con, order_table, survey_table, str(orders.path), currency)


def ibis_url(url: str) -> str:
    """An Ibis connection URL for a store URL (SQLAlchemy driver names dropped)."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise UserError("an in-memory SQLite store holds nothing to analyse")
        return f"sqlite://{Path(parsed.database).resolve()}"
    return parsed.set(drivername="postgres").render_as_string(hide_password=False)


def open_store(url: str) -> DataSource:
    """Orders and survey answers from the store at ``url`` (migrated first if needed)."""
    upgrade_store(url)
    con = ibis.connect(ibis_url(url))
    try:
        return store_source(con, mask_password(url))
    except BaseException:
        con.disconnect()
        raise


def store_source(con: ibis.BaseBackend, description: str) -> DataSource:
    """The canonical orders (and survey answers, when the backend holds them) over the store's
    tables on ``con``: the store itself, or a copy of some of its columns."""
    settings = con.table("store_settings").to_pyarrow().to_pylist()
    currency = next((s["value"] for s in settings if s["key"] == "currency"), None)
    scale = float(10 ** currency_exponent(currency)) if currency else 100.0
    customers = con.table("customers").select(cid="id", external="external_id")
    raw = con.table("orders")
    orders = raw.join(customers, raw.customer_id == customers.cid)
    orders = orders.select(
        order_id=orders.external_id,
        customer_id=orders.external,
        ordered_at=orders.ordered_at.cast("timestamp"),
        amount=orders.amount_minor.cast("float64") / scale,
        refunded=orders.refunded_minor.cast("float64") / scale,
        status=orders.status,
    )
    surveys = None
    if "survey_responses" in con.list_tables():
        answers = con.table("survey_responses")
        surveys = answers.left_join(customers, answers.customer_id == customers.cid)
        surveys = surveys.select(
            response_id=surveys.external_id,
            customer_id=surveys.external,
            responded_at=surveys.responded_at.cast("timestamp"),
            survey=surveys.survey,
            score=surveys.score,
        )
    return DataSource(con, orders, surveys, description, currency)


@contextmanager
def opened(source: DataSource) -> Iterator[DataSource]:
    """Close the source on the way out."""
    try:
        yield source
    finally:
        source.close()
