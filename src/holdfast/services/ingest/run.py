"""The import use case: read and check the whole file, then write it in one transaction.

Nothing is written unless every row is good, or ``rejects`` is given (then the good rows are
written and the bad ones go to the rejects file). The store is migrated first if needed, and
each import that writes leaves a row in ``import_runs``.
"""

from __future__ import annotations

import time
import zoneinfo
from dataclasses import replace
from datetime import UTC, datetime

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
from holdfast.services.readers.canonical import Canonical, ConvertSettings, to_canonical
from holdfast.services.readers.issues import Issues, plural
from holdfast.services.readers.source import Source, read_source
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
    spec = spec_for(request.kind)
    zone = _zone(request.timezone or timezone)
    source = read_source(request.path, request.read)
    observer.note(f"Reading {source.name}: {source.describe()}")
    mapping = resolve_mapping(spec, source.table.column_names, request.columns)
    observer.note(_mapping_note(mapping))
    upgrade_store(url)
    engine = create_store_engine(url)
    try:
        store_currency = _store_currency(engine)
        currency = _currency(request.currency, store_currency, default_currency)
        settings = ConvertSettings(zone, request.date_format, request.decimal_comma, currency)
        canonical = to_canonical(source, mapping, settings)
        for column, fmt in canonical.date_formats.items():
            observer.note(f"Dates in {mapping.source[column]!r} read as {fmt} ({zone})")
        records = _records(canonical, source.issues, request, currency)
        for note in records.notes:
            observer.note(note)
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
    return replace(summary, seconds=time.perf_counter() - began)


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
