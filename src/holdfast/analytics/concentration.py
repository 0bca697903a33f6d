"""Revenue concentration: the Lorenz curve of customer spend and the top spenders' share.

Input: the purchases relation; a customer's spend is their net revenue over all of it.
The Lorenz curve joins the points (k / n, share of revenue from the k smallest spenders),
k = 0 .. n, with straight lines; it is read off at evenly spaced customer shares. The top
share counts whole customers: the top ``share`` of n customers is round(share x n) of them,
halves rounded up, and at least one (20 % of 12 customers is 2, of 13 it is 3, of 2 it is 1).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

from holdfast.analytics.stats import exact_fraction, ratio
from holdfast.errors import UserError


def _spend(purchases: ir.Table) -> ir.Table:
    return purchases.group_by("customer_id").aggregate(
        revenue=purchases.amount.cast("float64").sum()
    )


def lorenz_curve(purchases: ir.Table, points: int = 101) -> ir.Table:
    """``points`` rows (customer_share, revenue_share), customer_share = 0, 1/(points - 1),
    ..., 1: the share of revenue from the smallest-spending customer_share of customers.

    Starts at (0, 0), ends at (1, 1) and never decreases. Between whole customers the curve is
    linear: with n = 4 customers, customer_share 0.3 is 1.2 customers, i.e. the smallest
    spender plus a fifth of the second. revenue_share is null when there are no customers.
    """
    if isinstance(points, bool) or not isinstance(points, int) or points < 2:
        raise UserError(f"a Lorenz curve needs at least 2 points, got {points!r}")
    steps = points - 1
    spend = _spend(purchases)
    order = [spend.revenue, spend.customer_id]
    ranked = spend.select(
        number=ibis.row_number().over(order_by=order) + 1,
        revenue="revenue",
        running=spend.revenue.sum().over(ibis.cumulative_window(order_by=order)),
    )
    totals = spend.aggregate(n=spend.count(), total=spend.revenue.sum())
    grid = ibis.memtable(
        pd.DataFrame(
            {
                "step": pd.Series(range(points), dtype="int64"),
                "customer_share": [i / steps for i in range(points)],
            }
        )
    ).cross_join(totals)
    # customer_share x n = whole + part / steps customers, in integers
    grid = grid.mutate(
        whole=(grid.step * grid.n) // steps,
        part=((grid.step * grid.n) % steps).cast("float64") / steps,
    )
    curve = grid.left_join(ranked, grid.whole + 1 == ranked.number)
    below = curve.running - curve.revenue + curve.part * curve.revenue
    share = ibis.cases(
        (curve.n == 0, ibis.null("float64")),
        (curve.step == 0, 0.0),
        (curve.step == steps, 1.0),
        else_=below / curve.total,
    )
    return curve.select(customer_share="customer_share", revenue_share=share).order_by(
        "customer_share"
    )


def top_revenue_share(purchases: ir.Table, share: float = 0.2) -> ir.Table:
    """One row ``top_revenue_share``: the revenue share of the top ``share`` of customers by
    spend (whole customers, rounded as the module docstring says); null with no customers."""
    fraction = exact_fraction(share, "the share of top customers")
    if fraction == 0:
        raise UserError("the share of top customers must be more than 0")
    num, den = fraction.numerator, fraction.denominator
    spend = _spend(purchases)
    n = spend.count().over()
    ranked = spend.mutate(
        position=ibis.row_number().over(order_by=[ibis.desc(spend.revenue), spend.customer_id]),
        top=ibis.greatest((2 * n * num + den) // (2 * den), 1),
    )
    top = ibis.cases((ranked.position < ranked.top, ranked.revenue), else_=0.0).sum()
    return ranked.aggregate(top_revenue_share=ratio(top, ranked.revenue.sum()))
