"""Per-customer values and the headline numbers over all purchases.

Input: the purchases relation (:mod:`holdfast.analytics.orders`); every order counts, so two
orders on one day are two orders. Definitions (DESIGN.md, docs/metrics.md): lifetime repeat
rate = share of customers with two or more orders; average order value = revenue / orders;
purchase frequency = orders / customers; historical CLV = a customer's net revenue to date
(its mean and median over customers).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from holdfast.analytics.stats import quantiles, ratio

#: The columns of :func:`headline`, in order (the report's SUMMARY_FIELDS it fills).
HEADLINE_COLUMNS = (
    "customers",
    "orders",
    "revenue",
    "first_order",
    "last_order",
    "lifetime_repeat_rate",
    "average_order_value",
    "purchase_frequency",
    "mean_historical_clv",
    "median_historical_clv",
)


def customer_values(purchases: ir.Table) -> ir.Table:
    """One row per customer: ``customer_id``, ``orders``, ``revenue`` (net, float),
    ``first_day`` and ``last_day`` (local day numbers of the first and last purchase).

        customer_id | orders | revenue | first_day | last_day
        c1          |      3 |   75.50 |      9862 |     9990
    """
    return purchases.group_by("customer_id").aggregate(
        orders=purchases.count(),
        revenue=purchases.amount.cast("float64").sum(),
        first_day=purchases.order_day.min(),
        last_day=purchases.order_day.max(),
    )


def headline(purchases: ir.Table, values: ir.Table | None = None) -> ir.Table:
    """One row with every column of :data:`HEADLINE_COLUMNS` over all of ``purchases``.

    Counts are 0 and revenue 0.0 when there are no purchases; the dates and every rate are
    then null. The median CLV is interpolated between the two middle customers when their
    number is even. ``values``, the :func:`customer_values` of ``purchases``, spares a
    grouping of the purchases when the caller has them already (cached for other tables).
    """
    if values is None:
        values = customer_values(purchases)
    totals = values.aggregate(
        customers=values.count(),
        orders=values.orders.sum().fill_null(0),
        revenue=values.revenue.sum().fill_null(0.0),
        repeaters=ibis.cases((values.orders >= 2, 1), else_=0).sum().fill_null(0),
    )
    dates = purchases.aggregate(
        first_order=purchases.order_date.min(), last_order=purchases.order_date.max()
    )
    median = quantiles(values.revenue, {"median_historical_clv": 0.5})
    row = totals.cross_join(dates).cross_join(median)
    customers = row.customers.cast("int64")
    orders = row.orders.cast("int64")
    return row.select(
        customers=customers,
        orders=orders,
        revenue=row.revenue.cast("float64"),
        first_order=row.first_order,
        last_order=row.last_order,
        lifetime_repeat_rate=ratio(row.repeaters, customers),
        average_order_value=ratio(row.revenue, orders),
        purchase_frequency=ratio(orders, customers),
        mean_historical_clv=ratio(row.revenue, customers),
        median_historical_clv=row.median_historical_clv,
    )
