"""The import use case: read and check the whole file, then write it in one transaction.

Nothing is written unless every row is good, or ``rejects`` is given (then the good rows are
written and the bad ones go to the rejects file). The store is migrated first if needed, and
each import that writes leaves a row in ``import_runs``.
"""

from __future__ import annotations

import time
import zoneinfo
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from holdfast.domain.columns import ColumnMapping, resolve_mapping, spec_for
from holdfast.domain.money import normalize_currency
from holdfast.errors import StoreError, UserError
from holdfast.services.database import upgrade_store
from holdfast.services.ingest.load import StoreChecksFailed, load
from holdfast.services.ingest.orders import order_records
from holdfast.services.ingest.records import Records, keyed_records, line_records
from holdfast.services.ingest.rejects import write_rejects
from holdfast.services.ingest.request import ImportRequest, ImportSummary, Observer, Quiet
from holdfast.services.loyalty.orders import earn_after_import
from holdfast.services.readers.canonical import ROW, Canonical, ConvertSettings, to_canonical
from holdfast.services.readers.issues import Issues, plural
from holdfast.services.readers.source import Source, read_source
from holdfast.services.readers.values import as_text
from holdfast.store.engine import connect_or_explain, create_store_engine
from holdfast.store.tables import ImportRun, StoreSetting

_NOUNS = {"customers": "customer", "subscriptions": "subscription", "surveys": "response"}


def import_file(
    request: ImportRequest,
    url: str,
    observer: Observer | None = None,
    *,
    timezone: str = "UTC",
    default_currency: str = "USD",
) -> ImportSummary:
    """Import ``request.path`` into the store at ``url``; raises InputError on bad rows."""
    observer = observer or Quiet()
    began = time.perf_counter()
    started_at = datetime.now(UTC).replace(tzinfo=None)
    zone = _zone(request.timezone or timezone)
    source, mapping = _open(request, observer)
    upgrade_store(url)
    engine = create_store_engine(url)
    try:
        store_currency = _store_currency(engine)
        currency = _currency(request.currency, store_currency, default_currency)
        records = _convert(source, mapping, request, (zone, currency), observer)
        summary = _write(
            engine,
            records,
            mapping,
            source,
            request,
            (currency, store_currency),
            started_at,
            observer,
        )
    finally:
        engine.dispose()
    if request.rejects is not None and not request.dry_run:
        write_rejects(request.rejects, source.table, source.issues)
    if request.kind == "orders" and not request.dry_run:
        summary = replace(summary, points=earn_after_import(url, started_at))
    return replace(summary, seconds=time.perf_counter() - began)


def _open(request: ImportRequest, observer: Observer) -> tuple[Source, ColumnMapping]:
    """Read the file and match its columns to the kind's canonical ones."""
    source = read_source(request.path, request.read)
    observer.note(f"Reading {source.name}: {source.describe()}")
    mapping = resolve_mapping(spec_for(request.kind), source.table.column_names, request.columns)
    observer.note(_mapping_note(mapping))
    return source, mapping


def _convert(
    source: Source,
    mapping: ColumnMapping,
    request: ImportRequest,
    zone_currency: tuple[str, str],
    observer: Observer,
) -> Records:
    """Typed canonical records of the kind; bad values land in ``source.issues``."""
    zone, currency = zone_currency
    settings = ConvertSettings(zone, request.date_format, request.decimal_comma, currency)
    canonical = to_canonical(source, mapping, settings)
    for column, fmt in canonical.date_formats.items():
        observer.note(f"Dates in {mapping.source[column]!r} read as {fmt} ({zone})")
    records = _records(canonical, source.issues, request, currency)
    for note in records.notes:
        observer.note(note)
    return records


def _write(
    engine: sa.Engine,
    records: Records,
    mapping: ColumnMapping,
    source: Source,
    request: ImportRequest,
    currencies: tuple[str, str | None],
    started_at: datetime,
    observer: Observer,
) -> ImportSummary:
    """The one transaction: load, record the run, commit (or roll back on a dry run).

    ``currencies`` is the import's currency and the store's (None: a new store, which then
    records the import's)."""
    currency, store_currency = currencies
    with connect_or_explain(engine) as conn:
        transaction = conn.begin()
        try:
            observer.start("loading", records.table.num_rows)
            loaded = load(
                conn,
                records,
                mapping,
                source.issues,
                currency,
                request.rejects is not None,
                source.table,
                observer.advance,
            )
            if store_currency is None:
                conn.execute(sa.insert(StoreSetting).values(key="currency", value=currency))
            summary = ImportSummary(
                kind=records.kind,
                file=source.name,
                rows_read=source.table.num_rows + len(source.issues.loose),
                inserted=loaded.counts.inserted,
                updated=loaded.counts.updated,
                unchanged=loaded.counts.unchanged,
                rejected=_rejected_count(source.issues),
                customers_created=loaded.customers_created,
                dry_run=request.dry_run,
                rejects_file=None if request.dry_run else request.rejects,
            )
            if not request.dry_run:
                run_id = _record_run(conn, summary, source, started_at)
                summary = replace(summary, run_id=run_id)
        except StoreChecksFailed:
            transaction.rollback()
            raise _refusal(source, request) from None
        except sa.exc.DBAPIError as error:
            transaction.rollback()
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            raise StoreError(
                f"the store refused the import, nothing was written: {reason}"
            ) from None
        except BaseException:
            transaction.rollback()
            raise
        if request.dry_run:
            transaction.rollback()
        else:
            transaction.commit()
    return summary


def _zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise UserError(
            f"unknown time zone {name!r} (use an IANA name like Europe/Berlin)"
        ) from None
    return name


def _currency(requested: str | None, stored: str | None, default: str) -> str:
    if requested is not None:
        code = normalize_currency(requested)
        if stored is not None and stored != code:
            raise UserError(
                f"the store keeps amounts in {stored}; this import says {code} (--currency)"
            )
        return code
    return stored or normalize_currency(default)


def _store_currency(engine: sa.Engine) -> str | None:
    with connect_or_explain(engine) as conn:
        return conn.execute(
            sa.select(StoreSetting.value).where(StoreSetting.key == "currency")
        ).scalar_one_or_none()


def _mapping_note(mapping: ColumnMapping) -> str:
    text = f"Columns: {mapping.describe()}"
    if mapping.unused:
        text += f"; not imported: {', '.join(mapping.unused)}"
    return text


def _records(
    canonical: Canonical, issues: Issues, request: ImportRequest, currency: str
) -> Records:
    kind = canonical.mapping.spec.kind
    if kind == "orders":
        return order_records(canonical, issues, request.cancel_prefix, currency)
    if kind == "order-lines":
        return line_records(canonical, issues)
    return keyed_records(canonical, issues, _NOUNS[kind])


def _refusal(source: Source, request: ImportRequest) -> Exception:
    issues = source.issues
    bad = _rejected_count(issues)
    return issues.error(
        f"{source.name}: {plural(issues.total, 'problem')} in {plural(bad, 'row')}; "
        "nothing was written "
        "(fix them, or give --rejects FILE to load the good rows and set the bad ones aside)",
        request.max_errors,
    )


def _rejected_count(issues: Issues) -> int:
    return len(issues.bad_rows()) + len(issues.loose)


def _record_run(
    conn: sa.Connection, summary: ImportSummary, source: Source, started_at: datetime
) -> int:
    return conn.execute(
        sa.insert(ImportRun)
        .values(
            kind=summary.kind,
            source=str(source.path.resolve()),
            sha256=source.sha256,
            rows_read=summary.rows_read,
            inserted=summary.inserted,
            updated=summary.updated,
            unchanged=summary.unchanged,
            rejected=summary.rejected,
            started_at=started_at,
            finished_at=datetime.now(UTC).replace(tzinfo=None),
        )
        .returning(ImportRun.id)
    ).scalar_one()


@dataclass(frozen=True)
class CheckedFile:
    """A file read and checked like an import, but kept in memory (for reports).

    ``table``: canonical columns of its kind; for orders, money in minor units of
    ``currency`` (order_id, customer_id, ordered_at, amount, refunded, status, currency)."""

    table: pa.Table
    currency: str
    source_name: str
    rejected: int


def read_checked_file(
    request: ImportRequest,
    observer: Observer | None = None,
    *,
    timezone: str = "UTC",
    default_currency: str = "USD",
) -> CheckedFile:
    """Read and check a file as ``holdfast import KIND`` would, without a store.

    Bad rows raise InputError naming each problem, unless ``request.rejects`` is given: then
    they are written there and left out. Refunds of orders missing from the file are bad rows.
    """
    observer = observer or Quiet()
    zone = _zone(request.timezone or timezone)
    source, mapping = _open(request, observer)
    currency = _currency(request.currency, None, default_currency)
    records = _convert(source, mapping, request, (zone, currency), observer)
    if records.refunds is not None and records.refunds.num_rows:
        header = mapping.source.get("amount", "amount")
        rows = records.refunds[ROW].to_numpy()
        shown = as_text(source.table.column(header)).take(pa.array(rows)).to_pylist()
        source.issues.add(
            rows,
            header,
            "a negative amount refunds an order that is not in this file (if ids with a prefix "
            "such as 'C' are cancellation invoices, give --cancel-prefix C)",
            shown,
        )
    table = records.table
    if source.issues:
        if request.rejects is None:
            raise _refusal(source, request)
        write_rejects(request.rejects, source.table, source.issues)
        bad = pa.array(source.issues.bad_rows(), pa.int64())
        table = table.filter(pc.invert(pc.is_in(table[ROW], value_set=bad)))
    return CheckedFile(
        table.drop_columns([ROW]), currency, source.name, _rejected_count(source.issues)
    )
