"""From checked file rows to store records: one per key, duplicates merged, conflicts reported.

Customers, subscriptions, survey answers and order lines follow one rule: rows that share a
key and agree are one record; rows that share a key and disagree are all bad. Orders have
their own rules (refunds, cancellations, several rows per order): see
:mod:`holdfast.services.ingest.orders`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from holdfast.domain.columns import ColumnMapping
from holdfast.services.ingest.keys import find_conflicts, first_of_each, generated_labels, ordinals
from holdfast.services.readers.canonical import ROW, Canonical
from holdfast.services.readers.issues import Issues


@dataclass
class Records:
    """What an import writes: ``table`` (one row per record, canonical names, ``_row`` = its
    first file row), the customers it needs, and for orders the refunds of stored orders."""

    kind: str
    table: pa.Table
    rows: pa.Table  # every good file row: key columns and _row (to reject a whole record)
    provided: frozenset[str]  # canonical columns the file gave (only these are updated)
    customers: pa.Array | None = None
    refunds: pa.Table | None = None
    notes: list[str] = field(default_factory=list)


def with_generated_key(canonical: Canonical) -> tuple[pa.Table, list[str]]:
    """The canonical table with its key column made up if the file has none, and a note."""
    table, mapping = canonical.table, canonical.mapping
    gen = mapping.generated
    if gen is None:
        return table, []
    if gen.label:
        customer, time = gen.group_by
        values = generated_labels(table, customer, time)
        example = next((v for v in values.to_pylist() if v), "")
        note = (
            f"no {gen.column.replace('_', ' ')} column: ids are made from customer, time and "
            f"position among equal rows (e.g. {example!r}), the same on every import of the file"
        )
    else:
        values = pa.array(ordinals(table, gen.group_by))
        note = "no line number column: lines are numbered 1, 2, … within each order in file order"
    return table.append_column(gen.column, values), [note]


def good_rows(table: pa.Table, issues: Issues) -> pa.Table:
    """The rows without any problem so far."""
    bad = issues.bad_rows()
    if len(bad) == 0:
        return table
    keep = np.ones(table.num_rows, dtype=bool)
    keep[bad] = False
    return table.filter(pa.array(keep))


def report_conflicts(
    table: pa.Table,
    key: tuple[str, ...],
    compare: list[str],
    mapping: ColumnMapping,
    issues: Issues,
    noun: str,
) -> pa.Table:
    """Report rows whose key repeats with different values; return the table without them."""
    found = find_conflicts(table, key, compare)
    if len(found.rows) == 0:
        return table
    file_rows = table.column(ROW).to_numpy()
    lines = issues.lines
    keys = pc.binary_join_element_wise(
        *[pc.cast(table.column(k), pa.string()) for k in key], "/"
    ).to_pylist()
    by_reason: dict[tuple[str, str], tuple[list[int], list[object]]] = {}
    for pos, columns, siblings in zip(found.rows, found.columns, found.siblings, strict=True):
        where = ", ".join(str(int(lines[file_rows[s]])) for s in siblings[:10])
        more = f" and {len(siblings) - 10} more" if len(siblings) > 10 else ""
        reason = (
            f"{noun} {keys[pos]!r} is on rows {where}{more} with different {' and '.join(columns)}"
        )
        column = columns[0]
        header = mapping.source.get(column, column)
        value = table.column(column)[int(pos)].as_py()
        rows, values = by_reason.setdefault((header, reason), ([], []))
        rows.append(int(file_rows[pos]))
        values.append(value)
    for (header, reason), (rows, values) in by_reason.items():
        issues.add(np.asarray(rows, dtype=np.int64), header, reason, values)
    keep = np.ones(table.num_rows, dtype=bool)
    keep[found.rows] = False
    return table.filter(pa.array(keep))


def keyed_records(canonical: Canonical, issues: Issues, noun: str) -> Records:
    """Records of customers, subscriptions and survey answers (one rule for all three)."""
    spec = canonical.mapping.spec
    table, notes = with_generated_key(canonical)
    if spec.kind == "surveys":
        survey = table.column("survey") if "survey" in table.column_names else None
        filled = (
            pc.fill_null(survey, "nps")
            if survey is not None
            else pa.array(["nps"] * table.num_rows)
        )
        table = _set(table, "survey", filled)
    if spec.kind == "subscriptions" and "ended_at" in table.column_names:
        early = pc.fill_null(pc.less(table["ended_at"], table["started_at"]), False)
        issues.add(
            early.to_numpy(zero_copy_only=False),
            canonical.mapping.source["ended_at"],
            "ends before it starts",
            pc.cast(table["ended_at"], pa.string()),
        )
    table = good_rows(table, issues)
    compare = [c for c in table.column_names if c not in (*spec.key, ROW)]
    table = report_conflicts(table, spec.key, compare, canonical.mapping, issues, noun)
    records = first_of_each(table, spec.key)
    merged = table.num_rows - records.num_rows
    if merged:
        notes.append(f"{merged:,} repeated rows were identical to an earlier row and were merged")
    customers = None
    if spec.kind != "customers" and "customer_id" in records.column_names:
        customers = pc.unique(pc.drop_null(records.column("customer_id")))
    provided = frozenset(records.column_names) - {ROW}
    return Records(
        spec.kind, records, table.select([*spec.key, ROW]), provided, customers, None, notes
    )


def line_records(canonical: Canonical, issues: Issues) -> Records:
    """Order lines: numbered within their order, amount = quantity × unit price if missing."""
    mapping = canonical.mapping
    table, notes = with_generated_key(canonical)
    n = table.num_rows
    quantity = (
        pc.fill_null(table["quantity"], 1)
        if "quantity" in table.column_names
        else pa.array(np.ones(n, dtype=np.int64))
    )
    table = _set(table, "quantity", quantity)
    amount = table["amount"] if "amount" in table.column_names else pa.nulls(n, pa.int64())
    if "unit_price" in table.column_names:
        computed = pc.multiply(table["quantity"], table["unit_price"])
        amount = pc.coalesce(amount, computed)
    table = _set(table, "amount", amount)
    missing = pc.is_null(table["amount"]).to_numpy(zero_copy_only=False)
    header = mapping.source.get("amount") or mapping.source.get("unit_price")
    already = np.zeros(n, dtype=bool)
    already[issues.bad_rows()] = True
    issues.add(missing & ~already, header, "missing amount (and no unit price to compute it)")
    table = good_rows(table, issues)
    compare = [c for c in table.column_names if c not in ("order_id", "line_no", ROW)]
    table = report_conflicts(table, ("order_id", "line_no"), compare, mapping, issues, "line")
    records = first_of_each(table, ("order_id", "line_no"))
    provided = frozenset(records.column_names) - {ROW}
    rows = table.select(["order_id", "line_no", ROW])
    return Records("order-lines", records, rows, provided, None, None, notes)


def _set(table: pa.Table, name: str, values: pa.Array | pa.ChunkedArray) -> pa.Table:
    if name in table.column_names:
        return table.set_column(table.column_names.index(name), name, values)
    return table.append_column(name, values)
