"""Each purchase next to its customer's previous one: the steps of a customer's history.

One window over the purchases, per customer in day order, gives every purchase the day of
the customer's previous purchase and of their first. The days between purchases
(:mod:`.intervals`) and the tenure bands (:mod:`.tenure`) both follow from this one relation
without another pass per customer: a gap is ``order_day - previous_day``, and a purchase
starts a new run (of a band, or of a period) exactly when its previous purchase lies outside.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir


def purchase_steps(purchases: ir.Table) -> ir.Table:
    """One row per purchase: ``order_day``, ``amount``, ``previous_day`` (the day of the
    customer's previous purchase in day order; null for their first, the same day for a
    second order on one day) and ``first_day`` (the customer's first purchase day).

        order_day | amount | previous_day | first_day
             9862 |  29.33 |         null |      9862
             9879 |  29.73 |         9862 |      9862
    """
    history = ibis.window(group_by="customer_id", order_by="order_day")
    return purchases.select(
        "order_day",
        "amount",
        previous_day=purchases.order_day.lag().over(history),
        first_day=purchases.order_day.first().over(history),
    )
