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

import ibis.expr.types as ir

from holdfast.analytics.orders import purchases


def transactions(
    orders: ir.Table,
    *,
    timezone: str = "UTC",
    span: tuple[dt.datetime, dt.datetime] | None = None,
) -> ir.Table:
    """Completed, not fully refunded orders (zero-value ones kept), dated in the business zone.

    ``span`` (first and last ``ordered_at``) is needed only outside UTC, as for ``purchases``.
    """
    return purchases(orders, timezone=timezone, span=span, free_orders=True)
