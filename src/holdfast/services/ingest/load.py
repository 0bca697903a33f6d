"""Write import records into the store, inside the caller's transaction.

Each kind stages its records, runs the checks that need the store (refunds of orders that
must exist, order lines of unknown orders), creates missing customers, and merges. A check
that fails adds problems; the caller decides between rolling back and rejecting those rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from holdfast.domain.columns import ColumnMapping
from holdfast.domain.money import currency_exponent, format_minor
from holdfast.services.ingest.records import Records
from holdfast.services.readers.canonical import ROW
from holdfast.services.readers.issues import Issues
from holdfast.services.readers.values import as_text
from holdfast.store import bulk

STAGE = "hf_import_stage"
REFUNDS = "hf_import_refunds"

#: canonical column -> store column, where they differ
STORE_NAMES = {
    "amount": "amount_minor",
    "refunded": "refunded_minor",
    "unit_price": "unit_price_minor",
    "monthly_amount": "monthly_amount_minor",
}


@dataclass(frozen=True)
class Loaded:
    """Counts of one load: records merged and customers created on the way."""

    counts: bulk.Counts
    customers_created: int


@dataclass(frozen=True)
class Check:
    """A query over staging returning ``(_row, value)`` of bad records, and why they are bad."""

    sql: str
    column: str  # canonical column the problem is about
    reason: Callable[[tuple], str]


class StoreChecksFailed(Exception):
    """Raised inside the transaction when store checks found problems and nothing may be written."""


def load(
    conn: sa.Connection,
    records: Records,
    mapping: ColumnMapping,
    issues: Issues,
    currency: str,
    rejecting: bool,
    source_table: pa.Table,
    on_chunk: Callable[[int], None] | None = None,
) -> Loaded:
    """Stage, check against the store, create customers, merge; returns the counts.

    Raises StoreChecksFailed before writing anything if ``issues`` has any problem (from the
    file or from the store checks) and bad rows are not being rejected.
    """
    table = records.table
    bulk.stage(conn, STAGE, table, on_chunk)
    if records.refunds is not None and records.refunds.num_rows:
        bulk.stage(conn, REFUNDS, records.refunds, on_chunk)
    _run_checks(conn, _checks(records, currency), records, mapping, issues, source_table)
    if issues and not rejecting:  # problems in the file or against the store: write nothing
        raise StoreChecksFailed
    created = 0
    if records.customers is not None:
        created = bulk.insert_missing(
            conn, "customers", "external_id", "s.customer_id", f"{STAGE} s"
        )
    counts = bulk.upsert(conn, _plan(records))
    if records.refunds is not None and records.refunds.num_rows:
        counts += bulk.update_from(
            conn,
            "orders",
            REFUNDS,
            "orders.external_id = s.order_id",
            {"refunded_minor": "s.refunded"},
            touch="updated_at",
        )
        bulk.drop_stage(conn, REFUNDS)
    bulk.drop_stage(conn, STAGE)
    return Loaded(counts, created)


def _plan(records: Records) -> bulk.Upsert:
    provided = records.provided
    kind = records.kind
    if kind == "customers":
        values = {"external_id": "s.customer_id"}
        values |= {c: f"s.{c}" for c in provided if c != "customer_id"}
        return bulk.Upsert(
            "customers", ("external_id",), values, f"{STAGE} s", STAGE, touch="updated_at"
        )
    if kind == "orders":
        values = {
            "external_id": "s.order_id",
            "customer_id": "c.id",
            "ordered_at": "s.ordered_at",
            "amount_minor": "s.amount",
            "refunded_minor": "s.refunded",
            "status": "s.status",
            "currency": "s.currency",
        }
        return bulk.Upsert(
            "orders",
            ("external_id",),
            values,
            f"{STAGE} s JOIN customers c ON c.external_id = s.customer_id",
            STAGE,
            keep={"refunded_minor": "0", "status": "'completed'"},
            touch="updated_at",
        )
    if kind == "order-lines":
        values = {"order_id": "ord.id", "line_no": "s.line_no"}
        values |= {
            STORE_NAMES.get(c, c): f"s.{c}" for c in provided if c not in ("order_id", "line_no")
        }
        return bulk.Upsert(
            "order_lines",
            ("order_id", "line_no"),
            values,
            f"{STAGE} s JOIN orders ord ON ord.external_id = s.order_id",
            STAGE,
        )
    if kind == "subscriptions":
        values = {"external_id": "s.subscription_id", "customer_id": "c.id"}
        values |= {
            STORE_NAMES.get(c, c): f"s.{c}"
            for c in provided
            if c not in ("subscription_id", "customer_id")
        }
        return bulk.Upsert(
            "subscriptions",
            ("external_id",),
            values,
            f"{STAGE} s JOIN customers c ON c.external_id = s.customer_id",
            STAGE,
        )
    values = {"external_id": "s.response_id"}
    if "customer_id" in provided:
        values["customer_id"] = "c.id"
        source = f"{STAGE} s LEFT JOIN customers c ON c.external_id = s.customer_id"
    else:
        source = f"{STAGE} s"
    values |= {c: f"s.{c}" for c in provided if c not in ("response_id", "customer_id")}
    return bulk.Upsert("survey_responses", ("external_id",), values, source, STAGE)


def _checks(records: Records, currency: str) -> list[Check]:
    exponent = currency_exponent(currency)

    def money(minor: int) -> str:
        return format_minor(int(minor), exponent)

    if records.kind == "order-lines":
        return [
            Check(
                f"SELECT s._row, s.order_id FROM {STAGE} s "
                f"LEFT JOIN orders o ON o.external_id = s.order_id WHERE o.id IS NULL",
                "order_id",
                lambda r: f"no order {r[1]!r} in the store: import the orders first",
            )
        ]
    if records.kind != "orders":
        return []
    checks = [
        Check(
            f"SELECT s._row, s.order_id, o.refunded_minor, s.amount FROM {STAGE} s "
            f"JOIN orders o ON o.external_id = s.order_id "
            f"WHERE s.refunded IS NULL AND o.refunded_minor > s.amount",
            "amount",
            lambda r: (
                f"order {r[1]!r} already has refunds of {money(r[2])} in the store, more than "
                f"its new amount {money(r[3])}"
            ),
        )
    ]
    if records.refunds is not None and records.refunds.num_rows:
        checks += [
            Check(
                f"SELECT s._row, s.order_id FROM {REFUNDS} s "
                f"LEFT JOIN orders o ON o.external_id = s.order_id WHERE o.id IS NULL",
                "amount",
                lambda r: (
                    f"a negative amount refunds order {r[1]!r}, which is neither in this file "
                    "nor in the store (if ids with a prefix such as 'C' are cancellation "
                    "invoices, give --cancel-prefix C)"
                ),
            ),
            Check(
                f"SELECT s._row, s.order_id, c.external_id FROM {REFUNDS} s "
                f"JOIN orders o ON o.external_id = s.order_id "
                f"JOIN customers c ON c.id = o.customer_id WHERE c.external_id <> s.customer_id",
                "customer_id",
                lambda r: f"refunds order {r[1]!r}, which belongs to customer {r[2]!r}",
            ),
            Check(
                f"SELECT s._row, s.order_id, s.refunded, o.amount_minor FROM {REFUNDS} s "
                f"JOIN orders o ON o.external_id = s.order_id WHERE s.refunded > o.amount_minor",
                "amount",
                lambda r: (
                    f"refunds of order {r[1]!r} total {money(r[2])}, more than its amount "
                    f"{money(r[3])} in the store"
                ),
            ),
        ]
    return checks


def _run_checks(
    conn: sa.Connection,
    checks: list[Check],
    records: Records,
    mapping: ColumnMapping,
    issues: Issues,
    source_table: pa.Table,
) -> bool:
    """Run the store checks; report every row of a bad record and drop it from staging."""
    bad_first_rows: set[int] = set()
    key = "order_id"
    for check in checks:
        found = conn.exec_driver_sql(check.sql).all()
        if not found:
            continue
        header = mapping.source.get(check.column, check.column)
        by_id = {r[1]: check.reason(tuple(r)) for r in found}
        bad_first_rows.update(int(r[0]) for r in found)
        members = records.rows.filter(
            pc.is_in(records.rows[key], value_set=pa.array(list(by_id), pa.string()))
        )
        ids = members[key].to_pylist()
        rows = members[ROW].to_numpy()
        shown = as_text(source_table.column(header)).take(pa.array(rows)).to_pylist()
        for reason in dict.fromkeys(by_id.values()):
            pick = [by_id[i] == reason for i in ids]
            values = [v for v, p in zip(shown, pick, strict=True) if p]
            issues.add(rows[np.asarray(pick, dtype=bool)], header, reason, values)
    has_refunds = records.refunds is not None and records.refunds.num_rows > 0
    for name in (STAGE, REFUNDS):
        if bad_first_rows and (name == STAGE or has_refunds):
            cursor = conn.connection.driver_connection.cursor()
            marker = "?" if bulk.is_sqlite(conn) else "%s"
            try:
                cursor.executemany(
                    f"DELETE FROM {name} WHERE _row = {marker}", [(r,) for r in bad_first_rows]
                )
            finally:
                cursor.close()
    return bool(bad_first_rows)
