"""Frequently bought together: one-to-one association rules from order lines, and per-customer
next-product recommendations, in Ibis.

Input: order lines with ``order_id`` and ``product_id`` (a product twice in one order counts
once); for recommendations also ``customer_id`` and ``order_date``.

    antecedent | consequent | pair_orders | support | confidence | lift
    -----------+------------+-------------+---------+------------+-----
    coffee     | filters    |         120 |   0.012 |       0.40 |  3.1

With N orders, n(X) the orders holding X (Agrawal, Imielinski & Swami 1993; Brin et al. 1997):
support(A -> C) = n(A and C) / N, confidence = n(A and C) / n(A), lift = confidence /
(n(C) / N). Products below the minimum support are dropped before the pairs are formed (no pair
can be more frequent than its products), then the pairs come from one self-join of the lines on
the order. The numbers equal mlxtend's ``association_rules`` for single-item rules.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from holdfast.errors import UserError

#: Why a product is recommended, in priority order.
REPLENISH, COMPLEMENT = "replenish", "complement"


def _fraction(value: float, name: str) -> float:
    if not 0 <= value <= 1:
        raise UserError(f"{name} must be between 0 and 1, got {value!r}")
    return float(value)


def order_items(lines: ir.Table) -> ir.Table:
    """One row per (order_id, product_id); order ids keep their type (integers join faster)."""
    return lines.select("order_id", product_id=lines.product_id.cast("string")).distinct()


def basket_rules(
    lines: ir.Table,
    *,
    min_support: float = 0.01,
    min_confidence: float = 0.1,
    min_lift: float = 0.0,
) -> ir.Table:
    """Rules antecedent -> consequent with their counts, support, confidence and lift.

    Columns: antecedent, consequent, pair_orders, antecedent_orders, consequent_orders,
    orders (N), support, confidence, lift; rules below any minimum are left out.
    """
    min_support = _fraction(min_support, "the minimum support")
    min_confidence = _fraction(min_confidence, "the minimum confidence")
    items = order_items(lines)
    total = items.aggregate(orders=items.order_id.nunique())
    counts = items.group_by("product_id").aggregate(product_orders=items.count())
    counts = counts.cross_join(total)
    frequent = counts.filter(
        counts.product_orders.cast("float64") >= counts.orders.cast("float64") * min_support
    )
    kept = items.semi_join(frequent, "product_id")
    left = kept.select(order_id="order_id", a="product_id")
    right = kept.select(order_id2="order_id", b="product_id")
    pairs = left.join(right, (left.order_id == right.order_id2) & (left.a < right.b))
    pairs = pairs.group_by(["a", "b"]).aggregate(pair_orders=pairs.count())
    both = pairs.select(antecedent="a", consequent="b", pair_orders="pair_orders").union(
        pairs.select(antecedent="b", consequent="a", pair_orders="pair_orders")
    )
    ante = frequent.select(ant="product_id", antecedent_orders="product_orders", orders="orders")
    cons = frequent.select(con="product_id", consequent_orders="product_orders")
    rules = both.join(ante, both.antecedent == ante.ant).join(cons, both.consequent == cons.con)
    n = rules.orders.cast("float64")
    support = rules.pair_orders.cast("float64") / n
    confidence = rules.pair_orders.cast("float64") / rules.antecedent_orders.cast("float64")
    lift = confidence * n / rules.consequent_orders.cast("float64")
    out = rules.select(
        "antecedent",
        "consequent",
        pair_orders=rules.pair_orders.cast("int64"),
        antecedent_orders=rules.antecedent_orders.cast("int64"),
        consequent_orders=rules.consequent_orders.cast("int64"),
        orders=rules.orders.cast("int64"),
        support=support,
        confidence=confidence,
        lift=lift,
    )
    return out.filter(
        (out.support >= min_support) & (out.confidence >= min_confidence) & (out.lift >= min_lift)
    )


def customer_products(lines: ir.Table, *, as_of: dt.date) -> ir.Table:
    """Per (customer_id, product_id) up to ``as_of``: orders holding it, first and last day."""
    dated = lines.select(
        customer_id=lines.customer_id.cast("string"),
        order_id="order_id",
        product_id=lines.product_id.cast("string"),
        order_date=lines.order_date.cast("date"),
    )
    dated = dated.filter(dated.order_date <= ibis.literal(as_of))
    return dated.group_by(["customer_id", "product_id"]).aggregate(
        times=dated.order_id.nunique(),
        first_date=dated.order_date.min(),
        last_date=dated.order_date.max(),
    )


def recommendations(lines: ir.Table, rules: ir.Table, *, as_of: dt.date, top: int = 3) -> ir.Table:
    """Up to ``top`` next products per customer: customer_id, rank (1 first), product_id,
    reason (replenish or complement) and score.

    Replenish: a product the customer bought on two or more orders whose usual interval,
    (last - first) / (times - 1) days, has passed since the last one (score: days overdue over
    the interval). Complement: the consequent of a rule whose antecedent the customer bought,
    never one they already have (score: the best confidence). Replenishments come first.
    """
    if top < 1:
        raise UserError(f"the number of recommendations must be at least 1, got {top}")
    owned = customer_products(lines, as_of=as_of)
    interval = owned.last_date.delta(owned.first_date, unit="day").cast("float64") / (
        owned.times - 1
    ).cast("float64")
    silent = ibis.literal(as_of).delta(owned.last_date, unit="day").cast("float64")
    repeat = owned.filter(owned.times > 1)
    repeat = repeat.mutate(interval=interval.name("interval"), silent=silent.name("silent"))
    due = repeat.filter((repeat.interval > 0) & (repeat.silent >= repeat.interval))
    replenish = due.select(
        "customer_id",
        "product_id",
        reason=ibis.literal(REPLENISH),
        priority=ibis.literal(0),
        score=(due.silent - due.interval) / due.interval,
    )
    have = owned.select("customer_id", ant="product_id")
    pairs = rules.select("antecedent", "consequent", "confidence")
    candidates = have.join(pairs, have.ant == pairs.antecedent)
    mine = owned.select(cid="customer_id", pid="product_id")
    fresh = candidates.anti_join(
        mine, (candidates.customer_id == mine.cid) & (candidates.consequent == mine.pid)
    )
    best = fresh.group_by(["customer_id", "consequent"]).aggregate(score=fresh.confidence.max())
    complement = best.select(
        "customer_id",
        product_id="consequent",
        reason=ibis.literal(COMPLEMENT),
        priority=ibis.literal(1),
        score=best.score,
    )
    both = replenish.union(complement)
    ranked = both.mutate(
        rank=ibis.row_number().over(
            group_by=both.customer_id,
            order_by=[both.priority, ibis.desc(both.score), both.product_id],
        )
        + 1
    )
    ranked = ranked.filter(ranked["rank"] <= top)
    return ranked.select(
        "customer_id",
        rank=ranked["rank"].cast("int64"),
        product_id="product_id",
        reason="reason",
        score=ranked.score.cast("float64"),
    )
