"""Spend by tenure: how much customers spend per period as they age as customers.

A purchase's tenure is the time from the customer's first purchase (within [first, as_of]) to
that purchase, in whole calendar months (31 January to 28 February is 0 months, to 1 March 1
month). Bands: the acquisition period itself ("first month" for monthly reports), then by
whole months since the first purchase: under 3, 3 to under 6, 6 to under 12, 12 to under
24, 24 or more. Spend per customer of a band = the band's revenue / the number of
(customer, period) pairs with a purchase in the band: what an active customer spends in a
period at that tenure.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator

import ibis
import ibis.expr.types as ir
import pandas as pd

from holdfast.analytics.calendar import (
    check_grain,
    day_number,
    from_day_number,
    period_index,
    period_start,
)
from holdfast.analytics.stats import ratio
from holdfast.analytics.steps import purchase_steps
from holdfast.errors import UserError

#: Bands after the acquisition period: (label, whole months from, up to but excluding).
MONTH_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0–3 months", 0, 3),
    ("3–6 months", 3, 6),
    ("6–12 months", 6, 12),
    ("1–2 years", 12, 24),
    ("2+ years", 24, None),
)
#: The acquisition period's band and the month bands.
BANDS = len(MONTH_BANDS) + 1


def band_labels(grain: str) -> list[str]:
    """The band labels in display order for a period grain ('first month', '0–3 months' ...)."""
    return [f"first {grain}", *(label for label, _, _ in MONTH_BANDS)]


def _anniversary(day: dt.date, months: int) -> dt.date:
    """The first day at least ``months`` whole months after ``day``: the same day of the month
    ``months`` later, or the 1st of the month after when that month is too short."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    try:
        return dt.date(year, month + 1, day.day)
    except ValueError:
        year, month = divmod(index + 1, 12)
        return dt.date(year, month + 1, 1)


def _band_starts(first: dt.date, as_of: dt.date, grain: str) -> ir.Table:
    """Per possible first purchase day ``start_day`` in [first, as_of]: the day numbers
    ``from_2`` .. ``from_6`` from which a customer who started then is in bands 2 .. 6.

    Band 2 starts with the period after the acquisition period; band k > 2 at the later of
    that and the first day with the band's whole months (so a band can be empty). Whole
    months only grow with the day, so a purchase is in the last band that started by then."""
    days = list(range(day_number(first), day_number(as_of) + 1))
    second = [
        day_number(period_start(period_index(from_day_number(d), grain) + 1, grain)) for d in days
    ]
    columns = {"start_day": days, "from_2": second}
    for band, (_, months, _) in enumerate(MONTH_BANDS[1:], 3):
        columns[f"from_{band}"] = [
            max(after, day_number(_anniversary(from_day_number(d), months)))
            for d, after in zip(days, second, strict=True)
        ]
    return ibis.memtable(
        pd.DataFrame({name: pd.Series(values, dtype="int64") for name, values in columns.items()})
    )


def tenure_spend(purchases: ir.Table, *, grain: str, first: dt.date, as_of: dt.date) -> ir.Table:
    """One row per tenure band (all six, in order, zeros where empty): ``tenure_band``,
    ``band_order`` (1..6), ``customers`` (distinct buyers in the band), ``customer_periods``
    ((customer, period) pairs with a purchase in the band), ``orders``, ``revenue`` and
    ``spend_per_customer`` = revenue / customer_periods (null when 0).

        tenure_band | band_order | customers | customer_periods | revenue | spend_per_customer
        first month |          1 |       100 |              100 |  3000.0 |              30.00
        0–3 months  |          2 |        25 |               30 |   600.0 |              20.00
    """
    day = purchases.order_day
    scoped = purchases.filter((day >= day_number(first)) & (day <= day_number(as_of)))
    counts = step_counts(purchase_steps(scoped), grain=grain, first=first, as_of=as_of)
    return tenure_of_counts(counts, grain=grain)


def step_counts(steps: ir.Table, *, grain: str, first: dt.date, as_of: dt.date) -> ir.Table:
    """The :func:`~holdfast.analytics.steps.purchase_steps` of purchases that all lie within
    [first, as_of] (so each first day is the one in scope), counted per ``band_order``,
    ``new_customer`` (the purchase is its customer's first in the band), ``new_pair`` (first
    in its band and period) and ``days`` since the customer's previous purchase (0 for their
    first): ``orders`` and ``revenue``.

    A few thousand rows, from which :func:`tenure_of_counts` makes the tenure table and
    :func:`~holdfast.analytics.intervals.counted_gaps` the days between purchases: one pass
    over the purchases serves both. Bands and periods only grow along a customer's purchases
    in day order, so a purchase starts a band, or a (customer, period) pair, exactly when its
    previous purchase is in another band, or period: no grouping per customer is needed."""
    check_grain(grain)
    if as_of < first:
        raise UserError(f"as_of ({as_of}) is before the first day ({first})")
    days = range(day_number(first), day_number(as_of) + 1)
    # a purchase's previous one is in the same period when it is on or after the period's start
    calendar = ibis.memtable(
        pd.DataFrame(
            {
                "cal_day": pd.Series(days, dtype="int64"),
                "period_from": pd.Series(
                    [
                        day_number(period_start(period_index(from_day_number(d), grain), grain))
                        for d in days
                    ],
                    dtype="int64",
                ),
            }
        )
    )
    starts = _band_starts(first, as_of, grain)
    rows = steps.join(calendar, steps.order_day == calendar.cal_day)
    rows = rows.join(starts, rows.first_day == starts.start_day)

    def band(day: ir.IntegerValue) -> ir.IntegerValue:
        # one plus the bands started by ``day``: sums of comparisons, no chain of cases
        started = [(day >= rows[f"from_{b}"]).cast("int32") for b in range(2, BANDS + 1)]
        return functools.reduce(operator.add, started, ibis.literal(1, "int32"))

    # a customer's first purchase is compared with itself (no nulls in the arithmetic)
    prior = rows.previous_day.fill_null(rows.order_day)
    rows = rows.select(
        "amount",
        first=rows.previous_day.isnull(),
        band_now=band(rows.order_day),
        band_before=band(prior),
        same_period=prior >= rows.period_from,
        days=(rows.order_day - prior).cast("int64"),
    )
    new_customer = rows.first | (rows.band_before != rows.band_now)
    return rows.group_by(
        band_order=rows.band_now.cast("int64"),
        new_customer=new_customer,
        new_pair=new_customer | ~rows.same_period,
        days=rows.days,
    ).aggregate(orders=rows.count(), revenue=rows.amount.cast("float64").sum())


def tenure_of_counts(counts: ir.Table, *, grain: str) -> ir.Table:
    """:func:`tenure_spend` from the :func:`step_counts` of its purchases."""
    per_band = counts.group_by("band_order").aggregate(
        customers=counts.orders.sum(where=counts.new_customer),
        customer_periods=counts.orders.sum(where=counts.new_pair),
        orders=counts.orders.sum(),
        revenue=counts.revenue.sum(),
    )
    labels = band_labels(grain)
    bands = ibis.memtable(
        pd.DataFrame(
            {
                "tenure_band": labels,
                "band_order": pd.Series(range(1, len(labels) + 1), dtype="int64"),
            }
        )
    )
    table = bands.left_join(per_band, bands.band_order == per_band.band_order)
    pairs = table.customer_periods.fill_null(0).cast("int64")
    revenue = table.revenue.fill_null(0.0).cast("float64")
    return table.select(
        "tenure_band",
        band_order=table.band_order,
        customers=table.customers.fill_null(0).cast("int64"),
        customer_periods=pairs,
        orders=table.orders.fill_null(0).cast("int64"),
        revenue=revenue,
        spend_per_customer=ratio(revenue, pairs),
    ).order_by("band_order")
