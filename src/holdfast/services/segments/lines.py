"""The store's order lines as an Ibis relation for the basket analytics.

Lines of completed orders that were not refunded in full, with the customer's own id (as in
the orders relation of :func:`holdfast.services.sources.open_store`), the order's store id (an
integer: the self-join of the basket rules is on it) and the order's UTC date.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir


def store_order_lines(con: ibis.BaseBackend) -> ir.Table:
    """customer_id, order_id, order_date, product_id for every line of a kept order."""

    lines = con.table("order_lines")
    orders = con.table("orders")
    customers = con.table("customers")
    kept = orders.filter(
        (orders.status == "completed")
        & ((orders.refunded_minor < orders.amount_minor) | (orders.amount_minor == 0))
    )
    kept = kept.select(oid="id", cid="customer_id", at="ordered_at")
    people = customers.select(pid="id", cext="external_id")
    joined = lines.join(kept, lines.order_id == kept.oid).join(people, kept.cid == people.pid)
    return joined.select(
        customer_id=joined.cext,
        order_id=joined.order_id,
        order_date=joined["at"].cast("timestamp").date(),
        product_id=joined.product_id,
    )
