"""Order rows → orders: several rows per order, refunds and cancellation invoices.

The rules (docs/import.md, "Refunds and cancellations"):

* Rows with the same order id are one order: their non-negative amounts add up (line-level
  exports list one row per product). They must agree on customer, and the rows with a
  non-negative amount also on time, status and currency; otherwise every row of that order is bad.
* A row with a negative amount refunds the order with the same id, in this file or already in
  the store: the order's ``refunded`` becomes the sum of its refund rows (plus a ``refunded``
  column if there is one). The refund row's own time is not kept.
* With ``--cancel-prefix C``, an order whose id starts with C is a cancellation invoice (Online
  Retail's "C536379"): stored as its own order, status ``cancelled``, amount the absolute sum.
  It is not a purchase and leaves other orders alone (the export does not say which it cancels).
* Status ``refunded`` without a refunded amount means fully refunded (refunded = amount).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from holdfast.domain.columns import ColumnMapping
from holdfast.domain.money import currency_exponent, format_minor
from holdfast.services.ingest.keys import is_unique
from holdfast.services.ingest.records import (
    Records,
    good_rows,
    report_conflicts,
    with_generated_key,
)
from holdfast.services.readers.canonical import ROW, Canonical
from holdfast.services.readers.issues import Issues, plural

_NULL_TEXT = pa.scalar(None, pa.string())


def order_records(
    canonical: Canonical, issues: Issues, cancel_prefix: str | None, currency: str
) -> Records:
    """Orders (and refunds of stored orders) from the checked rows of an orders file."""
    mapping = canonical.mapping
    table, notes = with_generated_key(canonical)
    table = good_rows(table, issues)
    table = _one_currency(table, issues, mapping, currency)
    n = table.num_rows
    order_id = table["order_id"]
    if cancel_prefix:
        cancel = pc.starts_with(order_id, cancel_prefix).to_numpy(zero_copy_only=False)
    else:
        cancel = np.zeros(n, dtype=bool)
    amount = table["amount"].to_numpy()
    refund_row = (amount < 0) & ~cancel
    table = table.append_column("_order_row", pa.array(~refund_row))

    unique = is_unique(table, ("order_id",))  # the usual case: nothing to merge or compare
    if not unique:
        table = _without_conflicts(table, mapping, issues)
    grouped = _aggregate(table, cancel_prefix, unique)
    has_order = pc.greater(grouped["orders_rows"], 0)
    orders = grouped.filter(has_order)
    refunds = grouped.filter(pc.invert(has_order))
    orders = _refund_rules(orders, issues, mapping, currency, table)

    refund_records = refunds.select(["order_id", "customer_id", "refunded", ROW])
    notes += _notes(orders, refunds, cancel_prefix, int(refund_row.sum()))
    provided = {"order_id", "customer_id", "ordered_at", "amount", "refunded", "status", "currency"}
    if "currency" not in orders.column_names:
        orders = orders.append_column(
            "currency", pa.array([currency] * orders.num_rows, pa.string())
        )
    columns = ["order_id", "customer_id", "ordered_at", "amount", "refunded", "status", "currency"]
    records = orders.select([*columns, ROW])
    return Records(
        "orders",
        records,
        table.select(["order_id", ROW]),
        frozenset(provided),
        pc.unique(records["customer_id"]),
        refund_records,
        notes,
    )


def _without_conflicts(table: pa.Table, mapping: ColumnMapping, issues: Issues) -> pa.Table:
    """Report orders whose rows disagree (customer or currency on any row; time or status on
    the non-refund rows) and drop every row of them."""
    compare_all = [c for c in ("customer_id", "currency") if c in table.column_names]
    table = report_conflicts(table, ("order_id",), compare_all, mapping, issues, "order")
    order_part = table.filter(table["_order_row"])
    compare_orders = [c for c in ("ordered_at", "status") if c in table.column_names]
    conflicted = report_conflicts(
        order_part, ("order_id",), compare_orders, mapping, issues, "order"
    )
    if conflicted.num_rows != order_part.num_rows:
        dropped = pc.unique(
            pc.filter(
                order_part["order_id"],
                pc.invert(pc.is_in(order_part[ROW], value_set=conflicted[ROW])),
            )
        )
        gone = pc.is_in(table["order_id"], value_set=dropped)
        refunds = table.filter(pc.and_(gone, pc.invert(table["_order_row"])))
        if refunds.num_rows:
            issues.add(
                refunds[ROW].to_numpy(),
                mapping.source["amount"],
                "refunds an order whose rows disagree (see its other rows)",
                refunds["order_id"].to_pylist(),
            )
        table = table.filter(pc.invert(gone))
    return table


def _aggregate(table: pa.Table, cancel_prefix: str | None, unique: bool) -> pa.Table:
    """One row per order id: gross amount, refunds, status, first row."""
    is_order = table["_order_row"]
    zero = pa.scalar(0, pa.int64())
    amount = table["amount"]
    refunded = (
        table["refunded"] if "refunded" in table.column_names else pa.nulls(len(table), pa.int64())
    )
    status = (
        table["status"] if "status" in table.column_names else pa.nulls(len(table), pa.string())
    )
    parts = {
        "order_id": table["order_id"],
        "customer_id": table["customer_id"],
        "ordered_at": pc.if_else(
            is_order, table["ordered_at"], pa.scalar(None, table["ordered_at"].type)
        ),
        "gross": pc.if_else(is_order, amount, zero),
        "refund_rows": pc.if_else(is_order, zero, pc.negate(amount)),
        "refunded_col": refunded,
        "has_refund": pc.or_(pc.invert(is_order), pc.is_valid(refunded)),
        "orders_rows": pc.cast(is_order, pa.int64()),
        "status": pc.if_else(is_order, status, _NULL_TEXT),
        ROW: table[ROW],
    }
    if "currency" in table.column_names:
        parts["currency"] = table["currency"]
    work = pa.table(parts)
    aggregations = [
        ("customer_id", "min"),
        ("ordered_at", "min"),
        ("gross", "sum"),
        ("refund_rows", "sum"),
        ("refunded_col", "sum"),
        ("has_refund", "any"),
        ("orders_rows", "sum"),
        ("status", "min"),
        (ROW, "min"),
    ]
    if "currency" in parts:
        aggregations.append(("currency", "min"))
    if unique:
        grouped = work  # one row per order: every aggregate is the row itself
    else:
        grouped = work.group_by("order_id", use_threads=False).aggregate(aggregations)
        grouped = grouped.rename_columns(
            [n.rsplit("_", 1)[0] if n != "order_id" else n for n in grouped.column_names]
        )
    cancel = (
        pc.starts_with(grouped["order_id"], cancel_prefix)
        if cancel_prefix
        else pa.array(np.zeros(grouped.num_rows, dtype=bool))
    )
    refunded = pc.if_else(
        grouped["has_refund"],
        pc.add(pc.fill_null(grouped["refunded_col"], 0), grouped["refund_rows"]),
        pa.scalar(None, pa.int64()),
    )
    status = pc.if_else(cancel, "cancelled", grouped["status"])
    amount = pc.if_else(cancel, pc.abs(grouped["gross"]), grouped["gross"])
    refunded = pc.if_else(cancel, zero, refunded)
    refunded = pc.if_else(
        pc.and_(pc.equal(pc.fill_null(status, ""), "refunded"), pc.is_null(refunded)),
        amount,
        refunded,
    )
    out = {
        "order_id": grouped["order_id"],
        "customer_id": grouped["customer_id"],
        "ordered_at": grouped["ordered_at"],
        "amount": amount,
        "refunded": refunded,
        "status": status,
        "orders_rows": grouped["orders_rows"],
        ROW: grouped[ROW],
    }
    if "currency" in grouped.column_names:
        out["currency"] = grouped["currency"]
    return pa.table(out).sort_by(ROW)


def _one_currency(
    table: pa.Table, issues: Issues, mapping: ColumnMapping, currency: str
) -> pa.Table:
    """Rows in another currency than the import's are bad: a store keeps one currency, and
    its revenue would otherwise add up amounts of different money."""
    if "currency" not in table.column_names:
        return table
    other = pc.fill_null(pc.not_equal(pc.utf8_upper(table["currency"]), currency.upper()), False)
    if not pc.any(other).as_py():
        return table
    bad = table.filter(other)
    for code in pc.unique(bad["currency"]).to_pylist():
        picked = bad.filter(pc.equal(bad["currency"], code))
        issues.add(
            picked[ROW].to_numpy(),
            mapping.source.get("currency", "currency"),
            f"the amount is in {code}, the store keeps {currency} (one currency per store; "
            f"a new store takes the import's --currency)",
            picked["currency"].to_pylist(),
        )
    return table.filter(pc.invert(other))


def _refund_rules(
    orders: pa.Table, issues: Issues, mapping: ColumnMapping, currency: str, rows: pa.Table
) -> pa.Table:
    """Orders whose refunds exceed their amount are bad (every row of the order)."""
    over = pc.fill_null(pc.greater(orders["refunded"], orders["amount"]), False)
    if not pc.any(over).as_py():
        return orders
    bad = orders.filter(over)
    header = mapping.source.get("refunded") or mapping.source["amount"]
    members = rows.filter(pc.is_in(rows["order_id"], value_set=bad["order_id"]))
    by_id = {
        oid: (amt, ref, cur)
        for oid, amt, ref, cur in zip(
            bad["order_id"].to_pylist(),
            bad["amount"].to_pylist(),
            bad["refunded"].to_pylist(),
            bad["currency"].to_pylist() if "currency" in bad.column_names else [None] * len(bad),
            strict=True,
        )
    }
    found_rows, values, reasons = [], [], []
    for oid, row in zip(members["order_id"].to_pylist(), members[ROW].to_pylist(), strict=True):
        amt, ref, cur = by_id[oid]
        exponent = currency_exponent(cur or currency)
        reasons.append(
            f"order {oid!r}: refunds total {format_minor(ref, exponent)}, more than the "
            f"order amount {format_minor(amt, exponent)}"
        )
        found_rows.append(row)
        values.append(oid)
    for reason in dict.fromkeys(reasons):
        picked = [i for i, r in enumerate(reasons) if r == reason]
        issues.add(
            np.asarray([found_rows[i] for i in picked], dtype=np.int64),
            header,
            reason,
            [values[i] for i in picked],
        )
    return orders.filter(pc.invert(over))


def _notes(
    orders: pa.Table, refunds: pa.Table, cancel_prefix: str | None, refund_rows: int
) -> list[str]:
    notes = []
    merged = int(pc.sum(orders["orders_rows"]).as_py() or 0)
    if merged > orders.num_rows:
        notes.append(
            f"{plural(merged, 'order row')} make {plural(orders.num_rows, 'order')} "
            "(amounts of rows with the same order id are added up)"
        )
    if refund_rows:
        text = f"{plural(refund_rows, 'row')} with a negative amount: refunds of their order"
        if refunds.num_rows:
            text += f" ({plural(refunds.num_rows, 'order')} not in this file, so in the store)"
        notes.append(text)
    if cancel_prefix:
        cancelled = int(pc.sum(pc.starts_with(orders["order_id"], cancel_prefix)).as_py() or 0)
        notes.append(
            f"{plural(cancelled, 'order')} with an id starting with {cancel_prefix!r}: "
            "cancellation invoices (status cancelled)"
        )
    return notes
