"""Customer retention per period: S, E, N, CRR, retained, reactivated, lost, churn; activity.

Definitions (DESIGN.md, docs/metrics.md): periods are half-open [start, end) in the business
time zone; a customer is active at a boundary b when they have a purchase in [b - W, b);
S = active at the start, E = active at the end, N = acquired (first purchase) in the period;
CRR = (E - N) / S; retained = active at both ends; reactivated = E - N - retained;
lost = S - retained; exact retention = retained / S; churn rate = lost / S. A period the data
ends inside closes at the end of the data (the day after ``as_of``) and is marked partial.

How it runs in one pass of SQL: an order on day d in period p makes its customer active at
the boundary indexes [p + 1, idx(d + W)] (a small calendar maps days to these, see
:mod:`holdfast.analytics.calendar`). Two plans count the customers active at each boundary:

- ``bits`` (when the table has at most :data:`MAX_BIT_BOUNDARIES` boundaries, e.g. five
  years of months): the calendar carries each day's boundaries as a bit mask and its
  period's order counter (:mod:`~holdfast.analytics.tallies`); one grouping per customer
  ORs the masks and sums the counters, and the distinct masks are counted bit by bit: bit i
  set is active at boundary i, bits i and i + 1 retained through period i, the lowest bit
  the acquisition. The counters give the buyers and repeat buyers of each period. No window
  function, no sort and no grouping per (customer, period): about twice as fast on DuckDB.
- ``runs`` (any length): purchases are grouped per customer and period; the ranges never move
  backwards, so one LAG per customer cuts them into disjoint runs [start, end]. With
  A(i) = runs with start <= i and Z(i) = runs with end <= i, the customers active at boundary i
  number S_i = A(i) - Z(i - 1), and those active at both i and i + 1 number A(i) - Z(i) plus
  the runs that start at i + 1 right where the customer's previous run ended.

Both give the same numbers (the tests run both on every backend).
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from holdfast.analytics import tallies
from holdfast.analytics.bits import MAX_BITS, bit_counts, fits
from holdfast.analytics.calendar import (
    activity_calendar,
    day_number,
    day_periods,
    period_index,
    periods_frame,
)
from holdfast.analytics.orders import daily_totals
from holdfast.errors import UserError

#: The most boundaries the ``bits`` plan counts: one bit each of a signed 64-bit integer.
MAX_BIT_BOUNDARIES = MAX_BITS

#: How :func:`period_table` counts active customers (see the module docstring).
METHODS = ("auto", "bits", "runs")

#: The columns of :func:`period_table`, in order (the report's PERIOD_COLUMNS).
PERIOD_TABLE_COLUMNS = (
    "period",
    "start",
    "end",
    "partial",
    "customers_start",
    "customers_end",
    "new_customers",
    "retained",
    "reactivated",
    "lost",
    "crr",
    "exact_retention",
    "churn_rate",
    "buyers",
    "orders",
    "revenue",
    "average_order_value",
    "purchase_frequency",
    "repeat_rate",
)


def _ratio(numerator: ir.NumericValue, denominator: ir.NumericValue) -> ir.FloatingValue:
    """numerator / denominator as a float, null where the denominator is 0."""
    return ibis.cases(
        (denominator > 0, numerator.cast("float64") / denominator.cast("float64")),
        else_=ibis.null("float64"),
    )


def _in_range(purchases: ir.Table, first: dt.date, as_of: dt.date) -> ir.Table:
    return purchases.filter(
        (purchases.order_day >= day_number(first)) & (purchases.order_day <= day_number(as_of))
    )


def customer_periods(
    purchases: ir.Table, *, grain: str, window_days: int, first: dt.date, as_of: dt.date
) -> ir.Table:
    """Per customer and period they bought in: orders, revenue, and ``active_to``, the last
    boundary index their purchases in that period keep them active to."""
    calendar = ibis.memtable(
        activity_calendar(day_number(first), day_number(as_of), grain, window_days)
    )
    rows = _in_range(purchases, first, as_of)
    rows = rows.join(calendar, rows.order_day == calendar.day)
    return rows.group_by(["customer_id", "period_idx"]).aggregate(
        orders=rows.count(), revenue=rows.amount.sum(), active_to=rows.active_to.max()
    )


def activity_pieces(periods: ir.Table) -> ir.Table:
    """Disjoint runs [start, end] of boundary indexes at which each customer is active.

    ``periods`` is :func:`customer_periods`. A purchase period p covers [p + 1, active_to];
    ``active_to`` never decreases from one of a customer's periods to the next, so the part
    not covered before starts after the previous period's ``active_to``. ``joined`` marks a
    run that continues the previous one without a gap.
    """
    before = ibis.window(group_by="customer_id", order_by="period_idx")
    previous = periods.active_to.lag().over(before)
    opens = periods.period_idx + 1
    start = ibis.cases((previous.isnull() | (opens > previous + 1), opens), else_=previous + 1)
    pieces = periods.select(
        "customer_id",
        start=start,
        end=periods.active_to,
        joined=ibis.cases((previous.notnull() & (start == previous + 1), 1), else_=0),
    )
    return pieces.filter(pieces.start <= pieces.end)


def _count_by(table: ir.Table, column: str, **aggregates: ir.Value) -> ir.Table:
    return table.group_by(idx=table[column]).aggregate(**aggregates)


def first_purchases(purchases: ir.Table) -> ir.Table:
    """Per customer: the local day number of the first purchase (the acquisition)."""
    return purchases.group_by("customer_id").aggregate(first_day=purchases.order_day.min())


def period_activity(periods: ir.Table) -> ir.Table:
    """Per period index: buyers, orders, revenue and buyers with two or more orders, from
    :func:`customer_periods`."""
    return periods.group_by(idx=periods.period_idx).aggregate(
        buyers=periods.count(),
        orders=periods.orders.sum(),
        revenue=periods.revenue.sum(),
        repeat_buyers=ibis.cases((periods.orders >= 2, 1), else_=0).sum(),
    )


def boundary_masks(calendar: pd.DataFrame, first_boundary: int) -> pd.Series:
    """Per row of :func:`~holdfast.analytics.calendar.activity_calendar`: the bit mask of the
    boundaries an order that day makes active, bit k standing for boundary first_boundary + k."""
    one = np.int64(1)
    low = calendar.active_from.to_numpy(np.int64) - first_boundary
    high = calendar.active_to.to_numpy(np.int64) - first_boundary + 1
    return pd.Series(((one << high) - one) & ~((one << low) - one), index=calendar.index)


def active_counts_bits(
    purchases: ir.Table,
    *,
    grain: str,
    window_days: int,
    first: dt.date,
    as_of: dt.date,
    daily: ir.Table | None = None,
) -> tuple[ir.Table, ir.Table, ir.Table]:
    """Per boundary index ``idx``: ``active`` customers and ``both`` (active there and at the
    next boundary); per period index ``idx`` the ``new_customers`` acquired in it; and the
    :func:`period_activity` table (orders and revenue from ``daily``, the purchases'
    :func:`~holdfast.analytics.orders.daily_totals`, when given). At most
    :data:`MAX_BIT_BOUNDARIES` boundaries.

    One grouping per customer ORs the boundary masks of their order days, counts their orders
    and sums their orders' period counters (:mod:`~holdfast.analytics.tallies`), which tell
    the buyers and repeat buyers of every period; only customers with 16 or more orders in
    one period are grouped per (customer, period).
    """
    frame = activity_calendar(day_number(first), day_number(as_of), grain, window_days)
    idx0 = period_index(first, grain)
    count = period_index(as_of, grain) + 2 - idx0
    if not fits(count):
        raise UserError(
            f"{count} period boundaries are more than the bits plan counts "
            f"({MAX_BIT_BOUNDARIES}); use method='runs'"
        )
    width = count - 1
    offsets = frame.period_idx.to_numpy(np.int64) - idx0
    frame = frame.assign(mask=boundary_masks(frame, idx0))
    frame = pd.concat([frame[["day", "mask"]], tallies.addends(offsets, width)], axis=1)
    # Each pass joins the purchases to its own calendar (which holds only the days in
    # [first, as_of]): a join shared by several passes would be materialised by DuckDB.
    calendar = ibis.memtable(frame)
    rows = purchases.join(calendar, purchases.order_day == calendar.day)
    names = tallies.words(width)
    per = rows.group_by("customer_id").aggregate(
        mask=rows["mask"].bit_or(),
        orders=rows.count(),
        **{name: rows[name].sum() for name in names},
    )
    per = per.mutate(exact=tallies.exact(per, width, per.orders))
    starts = per.group_by("mask").aggregate(customers=per.count())
    mask = starts["mask"]
    # a purchase keeps its customer active at the end of its period (the window is at least
    # a period long), so the lowest bit of a mask is the boundary after the first purchase
    masks = {"active": mask, "both": mask & (mask >> 1), "first": mask & -mask}
    counts = bit_counts(starts, masks, count, weight="customers")
    new = counts.select(idx=counts.bit + idx0 - 1, new_customers=counts["first"])
    counts = counts.select(idx=counts.bit + idx0, active=counts.active, both=counts.both)

    counted = tallies.at_least(per.filter(per.exact), width, {"buyers": 1, "repeat_buyers": 2})
    counted = counted.select(
        c_idx=counted.k + idx0, c_buyers=counted.buyers, c_repeat=counted.repeat_buyers
    )
    days = day_periods(day_number(first), day_number(as_of), grain)
    overflowed = _buyers_of(purchases, days, per.filter(~per.exact))
    daily = daily_totals(purchases) if daily is None else daily
    dated = daily.join(days, daily.order_day == days.day)
    activity = dated.group_by(idx=dated.period_idx).aggregate(
        orders=dated.orders.sum().cast("int64"), revenue=dated.revenue.sum()
    )
    activity = activity.left_join(counted, activity.idx == counted.c_idx)
    activity = activity.left_join(overflowed, activity.idx == overflowed.o_idx)
    return (
        counts,
        new,
        activity.select(
            "idx",
            "orders",
            "revenue",
            buyers=activity.c_buyers.fill_null(0) + activity.o_buyers.fill_null(0),
            repeat_buyers=activity.c_repeat.fill_null(0) + activity.o_repeat.fill_null(0),
        ),
    )


def _buyers_of(purchases: ir.Table, days: ir.Table, customers: ir.Table) -> ir.Table:
    """Per period index ``o_idx``: how many ``customers`` bought in it (``o_buyers``) and how
    many twice or more (``o_repeat``), from their purchases on the ``days`` (for the customers
    whose counters overflowed)."""
    theirs = purchases.semi_join(customers, "customer_id")
    # grouped per day before the calendar join, so the planner meets the join to the few
    # customers first (the calendar's size is unknown to it)
    theirs = theirs.group_by(["customer_id", "order_day"]).aggregate(orders=theirs.count())
    theirs = theirs.join(days, theirs.order_day == days.day)
    pairs = theirs.group_by(["customer_id", "period_idx"]).aggregate(orders=theirs.orders.sum())
    return pairs.group_by(o_idx=pairs.period_idx).aggregate(
        o_buyers=pairs.count(), o_repeat=ibis.cases((pairs.orders >= 2, 1), else_=0).sum()
    )


def active_counts_runs(
    purchases: ir.Table,
    *,
    grain: str,
    window_days: int,
    first: dt.date,
    as_of: dt.date,
    daily: ir.Table | None = None,
) -> tuple[ir.Table, ir.Table, ir.Table]:
    """The same three tables as :func:`active_counts_bits`, from disjoint runs of boundaries
    (:func:`activity_pieces`); any number of boundaries (``daily`` is not needed)."""
    frame = periods_frame(first, as_of, grain)
    last = period_index(as_of, grain)
    boundaries = ibis.memtable(
        {"idx": list(range(int(frame.idx.iloc[0]), last + 2))},
        schema={"idx": "int64"},
    )
    bought = customer_periods(
        purchases, grain=grain, window_days=window_days, first=first, as_of=as_of
    )
    pieces = activity_pieces(bought)
    starts = _count_by(pieces, "start", a_count=pieces.count(), j_count=pieces.joined.sum())
    ends = _count_by(pieces, "end", z_count=pieces.count())
    counts = boundaries.left_join(starts, "idx").drop("idx_right")
    counts = counts.left_join(ends, "idx").drop("idx_right")
    running = ibis.cumulative_window(order_by="idx")
    a_count = counts.a_count.fill_null(0)
    z_count = counts.z_count.fill_null(0)
    counts = counts.select(
        "idx",
        active=a_count.sum().over(running) - z_count.sum().over(running) + z_count,
        staying=a_count.sum().over(running) - z_count.sum().over(running),
        joins=counts.j_count.fill_null(0),
    )
    following = counts.select(next_idx=counts.idx - 1, joins_next=counts.joins)
    counts = counts.left_join(following, counts.idx == following.next_idx)
    counts = counts.select(
        "idx",
        active=counts.active.cast("int64"),
        both=(counts.staying + counts.joins_next.fill_null(0)).cast("int64"),
    )
    acquired = bought.group_by("customer_id").aggregate(idx=bought.period_idx.min())
    new = acquired.group_by("idx").aggregate(new_customers=acquired.count())
    return counts, new, period_activity(bought)


def period_table(
    purchases: ir.Table,
    *,
    grain: str = "month",
    window_days: int = 365,
    first: dt.date,
    as_of: dt.date,
    method: str = "auto",
    daily: ir.Table | None = None,
) -> ir.Table:
    """One row per period from ``first`` to ``as_of`` with every column of
    :data:`PERIOD_TABLE_COLUMNS` (rates null where undefined), ordered by period.

    ``first`` is normally the first purchase date and ``as_of`` the last day of data;
    purchases outside [first, as_of] are ignored. ``method`` picks the plan that counts the
    active customers (module docstring): ``auto`` takes ``bits`` when the boundaries fit.
    ``daily``, the purchases' :func:`~holdfast.analytics.orders.daily_totals` (in memory, say),
    spares the ``bits`` plan a pass over the purchases for the orders and revenue.
    """
    if method not in METHODS:
        raise UserError(f"unknown method {method!r}: use one of {', '.join(METHODS)}")
    frame = periods_frame(first, as_of, grain)
    scope = {"grain": grain, "window_days": window_days, "first": first, "as_of": as_of}
    if method == "auto":
        method = "bits" if fits(len(frame) + 1) else "runs"
    plan = active_counts_bits if method == "bits" else active_counts_runs
    counts, new, activity = plan(purchases, **scope, daily=daily)

    periods = ibis.memtable(frame)
    at_start = counts.select(s_idx=counts.idx, active=counts.active, both=counts.both)
    at_end = counts.select(e_idx=counts.idx - 1, customers_end=counts.active)
    table = periods.join(at_start, periods.idx == at_start.s_idx)
    table = table.join(at_end, table.idx == at_end.e_idx)
    table = table.left_join(new, table.idx == new.idx).drop("idx_right")
    table = table.left_join(activity, table.idx == activity.idx).drop("idx_right")

    s = table.active.cast("int64")
    e = table.customers_end.cast("int64")
    n = table.new_customers.fill_null(0).cast("int64")
    retained = table.both.cast("int64")
    orders = table.orders.fill_null(0).cast("int64")
    buyers = table.buyers.fill_null(0).cast("int64")
    revenue = table.revenue.fill_null(0.0).cast("float64")
    return table.select(
        "idx",
        "period",
        "start",
        "end",
        "partial",
        customers_start=s,
        customers_end=e,
        new_customers=n,
        retained=retained,
        reactivated=e - n - retained,
        lost=s - retained,
        crr=_ratio(e - n, s),
        exact_retention=_ratio(retained, s),
        churn_rate=_ratio(s - retained, s),
        buyers=buyers,
        orders=orders,
        revenue=revenue,
        average_order_value=_ratio(revenue, orders),
        purchase_frequency=_ratio(orders, buyers),
        repeat_rate=_ratio(table.repeat_buyers.fill_null(0), buyers),
    ).order_by("idx")
