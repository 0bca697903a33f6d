"""Purchase occasions for the customer-base models: completed orders, zero-value ones included.

The report's purchases relation (:func:`holdfast.analytics.orders.purchases`) drops orders of
zero value because they bring no revenue. The models count visits, not money: a completed order
for 0.00 (a free sample, a fully discounted order) is still a transaction, and the papers'
CDNOW summaries count it (8 customers of the CDNOW sample have a single $0.00 purchase).
Cancelled orders and orders refunded in full are left out, as everywhere.

Output: the columns of :func:`~holdfast.analytics.orders.purchases` (``customer_id``,
``order_id``, ``ordered_at``, ``order_day``, ``order_date``, ``amount``), ``amount`` net of
refunds and >= 0.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from holdfast.analytics.calendar import day_number
from holdfast.analytics.orders import day_dates, is_utc, local_day
from holdfast.errors import UserError


def transactions(
    orders: ir.Table,
    *,
    timezone: str = "UTC",
    span: tuple[dt.datetime, dt.datetime] | None = None,
) -> ir.Table:
    """Completed, not fully refunded orders (zero-value ones kept), dated in the business zone.

    ``span`` (first and last ``ordered_at``) is needed only outside UTC, as for ``purchases``.
    """
    missing = [c for c in ("customer_id", "order_id", "ordered_at", "amount") if c not in orders]
    if missing:
        raise UserError(f"the orders have no {', '.join(missing)} column")
    amount = orders.amount.cast("float64")
    refunded = (
        orders.refunded.cast("float64").fill_null(0.0)
        if "refunded" in orders.columns
        else ibis.literal(0.0)
    )
    net = amount - refunded
    # a paid order counts while some of it is kept; a free one while nothing was refunded
    keep = (net > 0) | ((amount == 0) & (refunded == 0))
    if "status" in orders.columns:
        keep = keep & (orders.status.fill_null("completed") == "completed")
    rows = orders.select(
        customer_id=orders.customer_id.cast("string"),
        order_id=orders.order_id.cast("string"),
        ordered_at=orders.ordered_at,
        order_day=local_day(orders.ordered_at, timezone, span),
        amount=net,
        keep=keep,
    )
    rows = rows.filter(rows.keep).drop("keep")
    if is_utc(timezone):
        return rows.mutate(order_date=rows.ordered_at.date()).relocate(
            "order_date", after="order_day"
        )
    first, last = span  # type: ignore[misc]
    dates = day_dates(day_number(first.date()) - 1, day_number(last.date()) + 1)
    joined = rows.join(dates, rows.order_day == dates.day)
    return joined.select(
        "customer_id",
        "order_id",
        "ordered_at",
        "order_day",
        order_date=joined.day_date,
        amount="amount",
    )
