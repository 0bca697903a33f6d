"""Acquisition cohorts: who keeps buying, period by period after their first purchase.

A customer's cohort is the period of their first purchase within [first, as_of] (DESIGN.md);
``age`` counts periods since then (0 = the acquisition period). For each cohort and age:
active_share = members buying in period cohort + age / cohort size, and
revenue_per_member_cumulative = the members' revenue in periods cohort .. cohort + age /
cohort size. Periods with no acquisition have no cohort and no rows.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from holdfast.analytics.bits import bit_counts, fits
from holdfast.analytics.calendar import periods_frame
from holdfast.analytics.scope import purchases_in_scope
from holdfast.analytics.stats import ratio

#: The columns of :func:`cohort_table`, in order (the report's COHORT_COLUMNS come first).
COHORT_TABLE_COLUMNS = (
    "cohort",
    "cohort_size",
    "age",
    "active_share",
    "revenue_per_member_cumulative",
    "cohort_idx",
    "period",
    "partial",
    "buyers",
    "revenue",
)


def cohort_table(purchases: ir.Table, *, grain: str, first: dt.date, as_of: dt.date) -> ir.Table:
    """One row per cohort and age 0 .. (last period - cohort), ordered by cohort then age,
    with the columns of :data:`COHORT_TABLE_COLUMNS`.

    ``cohort`` is the acquisition period's label ('1997-01'), ``cohort_idx`` its period index,
    ``period`` the label of period cohort + age, ``partial`` whether the data ends inside it,
    ``buyers`` and ``revenue`` the members buying and their revenue in that period (0 where
    nobody bought). Purchases outside [first, as_of] are ignored.

        cohort  | cohort_size | age | active_share | revenue_per_member_cumulative
        1997-01 |         100 |   0 |         1.00 |                         30.00
        1997-01 |         100 |   1 |         0.25 |                         37.50
    """
    scoped = purchases_in_scope(purchases, grain=grain, first=first, as_of=as_of)
    frame = periods_frame(first, as_of, grain)
    idx0 = int(frame.idx.iloc[0])
    if fits(len(frame)):
        cells, sizes = _cells_by_masks(scoped, idx0, len(frame))
    else:
        cells, sizes = _cells_by_periods(scoped)

    periods = ibis.memtable(frame)
    grid = sizes.cross_join(periods.select(idx="idx", period="period", partial="partial"))
    grid = grid.filter(grid.idx >= grid.cohort_idx)
    grid = grid.mutate(age=grid.idx - grid.cohort_idx)
    table = grid.left_join(cells, ["cohort_idx", "age"])
    labels = periods.select(label_idx="idx", cohort="period")
    table = table.join(labels, table.cohort_idx == labels.label_idx)

    revenue = table.revenue.fill_null(0.0)
    running = ibis.cumulative_window(group_by="cohort_idx", order_by="age")
    buyers = table.buyers.fill_null(0).cast("int64")
    size = table.cohort_size.cast("int64")
    return table.select(
        cohort=table.cohort,
        cohort_size=size,
        age=table.age.cast("int64"),
        active_share=ratio(buyers, size),
        revenue_per_member_cumulative=ratio(revenue.sum().over(running), size),
        cohort_idx=table.cohort_idx.cast("int64"),
        period=table.period,
        partial=table.partial,
        buyers=buyers,
        revenue=revenue,
    ).order_by(["cohort_idx", "age"])


def _cells_by_periods(scoped: ir.Table) -> tuple[ir.Table, ir.Table]:
    """Per (cohort_idx, age): buyers and revenue; per cohort_idx: cohort_size. Any number of
    periods: a grouping per (customer, period), one per customer and a join of the two."""
    spend = scoped.group_by(["customer_id", "period_idx"]).aggregate(
        revenue=scoped.amount.cast("float64").sum()
    )
    members = spend.group_by("customer_id").aggregate(cohort_idx=spend.period_idx.min())
    joined = spend.join(members, "customer_id")
    cells = joined.group_by(
        cohort_idx=joined.cohort_idx, age=joined.period_idx - joined.cohort_idx
    ).aggregate(buyers=joined.count(), revenue=joined.revenue.sum())
    sizes = members.group_by("cohort_idx").aggregate(cohort_size=members.count())
    return cells, sizes


def _cells_by_masks(scoped: ir.Table, idx0: int, width: int) -> tuple[ir.Table, ir.Table]:
    """The tables of :func:`_cells_by_periods` for at most ``MAX_BITS`` periods: one grouping
    per customer ORs the bits of the periods they bought in (:mod:`.bits`), whose distinct
    masks give the buyers; the revenue is the purchases joined to their customer's cohort."""
    offsets = np.arange(width, dtype=np.int64)
    bits = ibis.memtable(
        pd.DataFrame({"bit_idx": offsets + idx0, "period_bit": np.int64(1) << offsets})
    )
    masked = scoped.join(bits, scoped.period_idx == bits.bit_idx)
    members = masked.group_by("customer_id").aggregate(
        periods=masked.period_bit.bit_or(), cohort_idx=masked.period_idx.min()
    )
    groups = members.group_by(["cohort_idx", "periods"]).aggregate(customers=members.count())
    bought = bit_counts(
        groups, {"buyers": groups.periods}, width, by="cohort_idx", weight="customers"
    )
    bought = bought.filter(bought.buyers > 0)
    bought = bought.select(
        "cohort_idx", age=bought.bit + idx0 - bought.cohort_idx, buyers=bought.buyers
    )
    joined = scoped.join(members.select("customer_id", "cohort_idx"), "customer_id")
    spent = joined.group_by(
        cohort_idx=joined.cohort_idx, age=joined.period_idx - joined.cohort_idx
    ).aggregate(revenue=joined.amount.cast("float64").sum())
    cells = bought.join(spent, ["cohort_idx", "age"])
    sizes = groups.group_by("cohort_idx").aggregate(cohort_size=groups.customers.sum())
    return cells, sizes
