"""Customer retention per period: S, E, N, CRR, retained, reactivated, lost, churn; activity.

Definitions (DESIGN.md, docs/metrics.md): periods are half-open [start, end) in the business
time zone; a customer is active at a boundary b when they have a purchase in [b - W, b);
S = active at the start, E = active at the end, N = acquired (first purchase) in the period;
CRR = (E - N) / S; retained = active at both ends; reactivated = E - N - retained;
lost = S - retained; exact retention = retained / S; churn rate = lost / S. A period the data
ends inside closes at the end of the data (the day after ``as_of``) and is marked partial.

How it runs in one pass of SQL: each purchase day d makes its customer active at the boundary
indexes [idx(d) + 1, idx(d + W)] (a small calendar maps days to these, see
:mod:`holdfast.analytics.calendar`). The ranges of one customer are merged into islands
(gaps and islands with window functions); a customer is active at boundary i when one of their
islands [a, z] contains i. With A(i) = islands with a <= i and Z(i) = islands with z <= i,
S_i = A(i) - Z(i - 1) and the customers active at both i and i + 1 number A(i) - Z(i).
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from holdfast.analytics.calendar import (
    activity_calendar,
    day_number,
    day_periods,
    period_index,
    periods_frame,
)

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


def activity_islands(
    purchases: ir.Table, *, grain: str, window_days: int, first: dt.date, as_of: dt.date
) -> ir.Table:
    """Per customer, the maximal runs [a, z] of boundary indexes at which they are active."""
    calendar = ibis.memtable(
        activity_calendar(day_number(first), day_number(as_of), grain, window_days)
    )
    days = _in_range(purchases, first, as_of)
    days = days.select("customer_id", "order_day").distinct()
    ranges = days.join(calendar, days.order_day == calendar.day)
    ranges = ranges.group_by(["customer_id", "active_from"]).aggregate(
        active_to=ranges.active_to.max()
    )
    before = ibis.window(group_by="customer_id", order_by="active_from", rows=(None, -1))
    reach = ranges.active_to.max().over(before)
    flagged = ranges.mutate(
        starts_island=ibis.cases((reach.isnull() | (ranges.active_from > reach + 1), 1), else_=0)
    )
    running = ibis.cumulative_window(group_by="customer_id", order_by="active_from")
    numbered = flagged.mutate(island=flagged.starts_island.sum().over(running))
    return numbered.group_by(["customer_id", "island"]).aggregate(
        a=numbered.active_from.min(), z=numbered.active_to.max()
    )


def _count_by(table: ir.Table, column: str, name: str) -> ir.Table:
    return table.group_by(idx=table[column]).aggregate(**{name: table.count()})


def first_purchases(purchases: ir.Table) -> ir.Table:
    """Per customer: the local day number of the first purchase (the acquisition)."""
    return purchases.group_by("customer_id").aggregate(first_day=purchases.order_day.min())


def _period_of_day(
    days: ir.Table, column: str, grain: str, first: dt.date, as_of: dt.date
) -> ir.Table:
    """``days`` with the ``period_idx`` of its day-number column."""
    calendar = day_periods(day_number(first), day_number(as_of), grain)
    joined = days.join(calendar, days[column] == calendar.day)
    return joined


def period_activity(purchases: ir.Table, *, grain: str, first: dt.date, as_of: dt.date) -> ir.Table:
    """Per period index: buyers, orders, revenue and buyers with two or more orders."""
    orders = _period_of_day(_in_range(purchases, first, as_of), "order_day", grain, first, as_of)
    per_buyer = orders.group_by(["period_idx", "customer_id"]).aggregate(
        orders=orders.count(), revenue=orders.amount.sum()
    )
    return per_buyer.group_by(idx=per_buyer.period_idx).aggregate(
        buyers=per_buyer.count(),
        orders=per_buyer.orders.sum(),
        revenue=per_buyer.revenue.sum(),
        repeat_buyers=ibis.cases((per_buyer.orders >= 2, 1), else_=0).sum(),
    )


def period_table(
    purchases: ir.Table,
    *,
    grain: str = "month",
    window_days: int = 365,
    first: dt.date,
    as_of: dt.date,
) -> ir.Table:
    """One row per period from ``first`` to ``as_of`` with every column of
    :data:`PERIOD_TABLE_COLUMNS` (rates null where undefined), ordered by period.

    ``first`` is normally the first purchase date and ``as_of`` the last day of data;
    purchases outside [first, as_of] are ignored.
    """
    frame = periods_frame(first, as_of, grain)
    last = period_index(as_of, grain)
    boundaries = ibis.memtable(
        {"idx": list(range(int(frame.idx.iloc[0]), last + 2))},
        schema={"idx": "int64"},
    )
    islands = activity_islands(
        purchases, grain=grain, window_days=window_days, first=first, as_of=as_of
    )
    counts = boundaries.left_join(_count_by(islands, "a", "a_count"), "idx").drop("idx_right")
    counts = counts.left_join(_count_by(islands, "z", "z_count"), "idx").drop("idx_right")
    running = ibis.cumulative_window(order_by="idx")
    a_count = counts.a_count.fill_null(0)
    z_count = counts.z_count.fill_null(0)
    counts = counts.select(
        "idx",
        active=a_count.sum().over(running) - z_count.sum().over(running) + z_count,
        staying=a_count.sum().over(running) - z_count.sum().over(running),
    )

    acquired = first_purchases(_in_range(purchases, first, as_of))
    acquired = _period_of_day(acquired, "first_day", grain, first, as_of)
    new = acquired.group_by(idx=acquired.period_idx).aggregate(new_customers=acquired.count())

    periods = ibis.memtable(frame)
    at_start = counts.rename(s_idx="idx")
    at_end = counts.select(e_idx=counts.idx - 1, customers_end=counts.active)
    table = periods.join(at_start, periods.idx == at_start.s_idx)
    table = table.join(at_end, table.idx == at_end.e_idx)
    table = table.left_join(new, table.idx == new.idx).drop("idx_right")
    activity = period_activity(purchases, grain=grain, first=first, as_of=as_of)
    table = table.left_join(activity, table.idx == activity.idx).drop("idx_right")

    s = table.active.cast("int64")
    e = table.customers_end.cast("int64")
    n = table.new_customers.fill_null(0).cast("int64")
    retained = table.staying.cast("int64")
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
