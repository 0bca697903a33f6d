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

import ibis
import ibis.expr.types as ir
import pandas as pd

from holdfast.analytics.calendar import day_number, from_day_number, period_index
from holdfast.analytics.scope import purchases_in_scope
from holdfast.analytics.stats import ratio

#: Bands after the acquisition period: (label, whole months from, up to but excluding).
MONTH_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0–3 months", 0, 3),
    ("3–6 months", 3, 6),
    ("6–12 months", 6, 12),
    ("1–2 years", 12, 24),
    ("2+ years", 24, None),
)


def band_labels(grain: str) -> list[str]:
    """The band labels in display order for a period grain ('first month', '0–3 months' ...)."""
    return [f"first {grain}", *(label for label, _, _ in MONTH_BANDS)]


def _month_calendar(first: dt.date, as_of: dt.date, grain: str) -> ir.Table:
    """Per day number: a running month number, the day of the month and the period index."""
    days = range(day_number(first), day_number(as_of) + 1)
    dates = [from_day_number(d) for d in days]
    return ibis.memtable(
        pd.DataFrame(
            {
                "cal_day": pd.Series(days, dtype="int64"),
                "month_no": pd.Series([d.year * 12 + d.month - 1 for d in dates], dtype="int64"),
                "dom": pd.Series([d.day for d in dates], dtype="int64"),
                "cal_period": pd.Series([period_index(d, grain) for d in dates], dtype="int64"),
            }
        )
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
    scoped = purchases_in_scope(purchases, grain=grain, first=first, as_of=as_of)
    firsts = scoped.group_by("customer_id").aggregate(first_day=scoped.order_day.min())
    calendar = _month_calendar(first, as_of, grain)
    at_order = calendar.select(order_cal="cal_day", order_month="month_no", order_dom="dom")
    at_first = calendar.select(
        first_cal="cal_day", first_month="month_no", first_dom="dom", first_period="cal_period"
    )
    rows = scoped.join(firsts, "customer_id")
    rows = rows.join(at_order, rows.order_day == at_order.order_cal)
    rows = rows.join(at_first, rows.first_day == at_first.first_cal)
    months = (rows.order_month - rows.first_month) - ibis.cases(
        (rows.order_dom < rows.first_dom, 1), else_=0
    )
    later = [(months < upto, number) for number, (_, _, upto) in enumerate(MONTH_BANDS, 2) if upto]
    band = ibis.cases((rows.period_idx == rows.first_period, 1), *later, else_=len(MONTH_BANDS) + 1)
    rows = rows.select("customer_id", "period_idx", "amount", band_order=band)

    per_period = rows.group_by(["band_order", "customer_id", "period_idx"]).aggregate(
        orders=rows.count(), revenue=rows.amount.cast("float64").sum()
    )
    per_customer = per_period.group_by(["band_order", "customer_id"]).aggregate(
        periods=per_period.count(),
        orders=per_period.orders.sum(),
        revenue=per_period.revenue.sum(),
    )
    per_band = per_customer.group_by("band_order").aggregate(
        customers=per_customer.count(),
        customer_periods=per_customer.periods.sum(),
        orders=per_customer.orders.sum(),
        revenue=per_customer.revenue.sum(),
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
