"""Days between a customer's consecutive purchases: a histogram and its quartiles.

Input: the purchases relation (:mod:`holdfast.analytics.orders`). A customer's purchase days
are their distinct local order days: two orders on one day make one purchase day, so every gap
is at least one day. A customer with k purchase days contributes k - 1 gaps.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

from holdfast.analytics.stats import weighted_quantiles
from holdfast.analytics.steps import purchase_steps

#: Histogram buckets: (label, first day, last day or None for no end). The labels are bare
#: ranges because the report's axis and hover text add "days".
BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("1–7", 1, 7),
    ("8–14", 8, 14),
    ("15–30", 15, 30),
    ("31–60", 31, 60),
    ("61–90", 61, 90),
    ("91–180", 91, 180),
    ("181–365", 181, 365),
    ("over 365", 366, None),
)


def purchase_gaps(purchases: ir.Table) -> ir.Table:
    """One row per repeat purchase day: ``customer_id``, ``order_day`` and ``days`` since the
    customer's previous purchase day."""
    days = purchases.select("customer_id", "order_day").distinct()
    previous = days.order_day.lag().over(group_by="customer_id", order_by="order_day")
    gaps = days.mutate(days=(days.order_day - previous).cast("int64"))
    return gaps.filter(gaps.days.notnull())


def gap_counts(purchases: ir.Table) -> ir.Table:
    """One row per gap length: ``days`` and ``gaps``, the number of :func:`purchase_gaps` that
    long. Small (a few thousand rows), so the histogram and the quartiles can share it.

    The steps of more than zero days between a customer's purchases in day order
    (:func:`~holdfast.analytics.steps.purchase_steps`) are the gaps between their purchase
    days: one window, without first making the days distinct (a grouping of every purchase)."""
    steps = purchase_steps(purchases)
    gaps = steps.select(days=(steps.order_day - steps.previous_day).cast("int64"))
    gaps = gaps.filter(gaps.days > 0)
    return gaps.group_by("days").aggregate(gaps=gaps.count())


def counted_gaps(counts: ir.Table) -> ir.Table:
    """:func:`gap_counts` from purchases counted by ``days`` since the customer's previous
    purchase (``orders`` per row, any other columns summed over), such as
    :func:`~holdfast.analytics.tenure.step_counts`."""
    gaps = counts.filter(counts.days > 0)
    return gaps.group_by("days").aggregate(gaps=gaps.orders.sum().cast("int64"))


def days_between_orders(purchases: ir.Table) -> ir.Table:
    """Histogram of :func:`purchase_gaps`: ``bucket`` (label), ``bucket_order`` (1, 2, ...)
    and ``count``, one row for every bucket of :data:`BUCKETS` (0 where empty), in order."""
    return gap_histogram(gap_counts(purchases))


def gap_histogram(counts: ir.Table) -> ir.Table:
    """:func:`days_between_orders` from :func:`gap_counts`."""
    order = ibis.cases(
        *[
            (counts.days <= last, number)
            for number, (_, _, last) in enumerate(BUCKETS, start=1)
            if last is not None
        ],
        else_=len(BUCKETS),
    )
    counts = counts.group_by(bucket_order=order).aggregate(count=counts.gaps.sum())
    buckets = ibis.memtable(
        pd.DataFrame(
            {
                "bucket": [label for label, _, _ in BUCKETS],
                "bucket_order": pd.Series(range(1, len(BUCKETS) + 1), dtype="int64"),
            }
        )
    )
    joined = buckets.left_join(counts, buckets.bucket_order == counts.bucket_order)
    return joined.select(
        "bucket",
        bucket_order=joined.bucket_order,
        count=joined["count"].fill_null(0).cast("int64"),
    ).order_by("bucket_order")


def interval_quartiles(purchases: ir.Table) -> ir.Table:
    """One row: ``q1``, ``median`` and ``q3`` of the days between consecutive purchase days
    (floats, linearly interpolated as numpy's default); null when nobody bought twice."""
    return gap_quartiles(gap_counts(purchases))


def gap_quartiles(counts: ir.Table) -> ir.Table:
    """:func:`interval_quartiles` from :func:`gap_counts`."""
    return weighted_quantiles(counts, "days", "gaps", {"q1": 0.25, "median": 0.5, "q3": 0.75})
