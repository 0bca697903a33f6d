"""Recency, frequency and monetary values and their quantile scores, in Ibis.

Input: the purchases relation (``customer_id``, ``order_date``, ``amount``); orders on the same
day are one purchase, as in :mod:`holdfast.analytics.summary`.

    customer_id | first_date | last_date  | previous_date | orders | spend | first_amount | ...
    ------------+------------+------------+---------------+--------+-------+--------------+----
    c1          | 2024-01-05 | 2024-03-01 | 2024-02-02    |      3 | 90.0  |         30.0 |

Scores use the mid-distribution rank (Parzen 1993, "The mid-distribution function"): with n
customers, ``less`` of them strictly worse and ``equal`` tied, p = (less + equal / 2) / n and
score = 1 + floor(bins * p), at most ``bins``. Tied customers share one score; a lone customer,
or a shop where everyone ties, sits in the middle; with distinct values and n = bins the
scores are 1..bins. Recency is better when smaller, frequency (purchase days) and monetary
(total spend) when larger. Everything is window functions, so it runs on every backend, on the
purchases or on the fetched one-row-per-customer values; :func:`model_summary` turns the same
values into the models' frequency/recency/T summary without another pass over the purchases.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from holdfast.analytics.summary import purchase_days, summary_columns, unit_days
from holdfast.errors import UserError


def rfm_values(purchases: ir.Table, *, as_of: dt.date) -> ir.Table:
    """Per customer up to ``as_of``: first, last and second-to-last purchase day, purchase days
    (``orders``), total spend, the first purchase day's spend (``first_amount``: the models'
    mean repeat spend is (spend - first_amount) / (orders - 1)) and days since the last
    purchase (``recency_days``)."""
    days = purchase_days(purchases, as_of)
    ranked = days.mutate(
        back=ibis.row_number().over(group_by=days.customer_id, order_by=ibis.desc(days.order_date))
    )
    ranked = ranked.mutate(first=ranked.order_date.min().over(group_by=ranked.customer_id))
    per = ranked.group_by("customer_id").aggregate(
        first_date=ranked.order_date.min(),
        last_date=ranked.order_date.max(),
        previous_date=ranked.order_date.max(where=ranked.back == 1),
        orders=ranked.count(),
        spend=ranked.amount.sum(),
        first_amount=ranked.amount.sum(where=ranked.order_date == ranked["first"]),
    )
    return per.select(
        "customer_id",
        "first_date",
        "last_date",
        "previous_date",
        orders=per.orders.cast("int64"),
        spend=per.spend.cast("float64"),
        first_amount=per.first_amount.cast("float64"),
        recency_days=ibis.literal(as_of).delta(per.last_date, unit="day").cast("int64"),
    )


def _check(bins: int) -> None:
    if not isinstance(bins, int) or bins < 2:
        raise UserError(f"scores need at least 2 levels, got {bins!r}")


def quantile_score(
    value: ir.Column, bins: int, *, higher_is_better: bool = True
) -> ir.IntegerValue:
    """The 1..bins mid-distribution score of ``value`` among all rows (see the module doc)."""
    _check(bins)
    order = value if higher_is_better else ibis.desc(value)
    less = ibis.rank().over(order_by=order).cast("int64")
    equal = value.count().over(group_by=value).cast("int64")
    n = value.count().over().cast("int64")
    raw = (bins * (2 * less + equal)) // (2 * n) + 1
    return ibis.least(raw, bins).cast("int64")


def rfm_scores(values: ir.Table, *, bins: int = 5) -> ir.Table:
    """:func:`rfm_values` with ``r_score``, ``f_score`` and ``m_score`` (1..bins) added."""
    _check(bins)
    return values.mutate(
        r_score=quantile_score(values.recency_days, bins, higher_is_better=False),
        f_score=quantile_score(values.orders, bins),
        m_score=quantile_score(values.spend, bins),
    )


def model_summary(
    values: ir.Table, *, as_of: dt.date, time_unit_days: float | str = 7.0
) -> ir.Table:
    """The columns of :func:`holdfast.analytics.summary.customer_summary` (frequency, recency,
    T, monetary_value) from :func:`rfm_values` of the same purchases and ``as_of``."""
    return summary_columns(
        values,
        days=values.orders,
        repeat_amount=values.spend - values.first_amount,
        end=as_of,
        unit=unit_days(time_unit_days),
    )
