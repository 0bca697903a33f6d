"""Revenue concentration: the Lorenz curve of customer spend and the top spenders' share.

Input: the purchases relation; a customer's spend is their net revenue over all of it.
The Lorenz curve joins the points (k / n, share of revenue from the k smallest spenders),
k = 0 .. n, with straight lines; it is read off at evenly spaced customer shares. The top
share counts whole customers: the top ``share`` of n customers is round(share x n) of them,
halves rounded up, and at least one (20 % of 12 customers is 2, of 13 it is 3, of 2 it is 1).

Both are read off the :func:`spend_distribution` (one row per distinct spend, with the number
of customers who spent it), so only its few hundred thousand rows are sorted, never millions
of customers; a caller with the per-customer values already computed passes its distribution
to :func:`lorenz_of` and :func:`top_share_of`.
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


def spend_distribution(spend: ir.Table) -> ir.Table:
    """One row per distinct spend of a per-customer table with ``revenue`` (such as
    :func:`~holdfast.analytics.customers.customer_values`): ``revenue``, ``customers`` who spent
    that much and their ``revenue_sum``. Amounts repeat, so this is a few hundred thousand rows
    for millions of customers, and the curve and the top share sort it instead of them."""
    return spend.group_by("revenue").aggregate(
        customers=spend.count(), revenue_sum=spend.revenue.sum()
    )


def _ranked(dist: ir.Table, *, descending: bool = False) -> ir.Table:
    """``dist`` with ``before`` (customers ahead in the order), ``below`` (their revenue) and
    ``n`` (all customers): sorted positions [before, before + customers) hold this spend."""
    key = ibis.desc(dist.revenue) if descending else dist.revenue
    running = ibis.cumulative_window(order_by=key)
    return dist.select(
        "revenue",
        "customers",
        "revenue_sum",
        before=dist.customers.sum().over(running) - dist.customers,
        below=dist.revenue_sum.sum().over(running) - dist.revenue_sum,
        n=dist.customers.sum().over(),
    )


def lorenz_curve(purchases: ir.Table, points: int = 101) -> ir.Table:
    """``points`` rows (customer_share, revenue_share), customer_share = 0, 1/(points - 1),
    ..., 1: the share of revenue from the smallest-spending customer_share of customers.

    Starts at (0, 0), ends at (1, 1) and never decreases. Between whole customers the curve is
    linear: with n = 4 customers, customer_share 0.3 is 1.2 customers, i.e. the smallest
    spender plus a fifth of the second. revenue_share is null when there are no customers.
    """
    return lorenz_of(spend_distribution(_spend(purchases)), points)


def lorenz_of(dist: ir.Table, points: int = 101) -> ir.Table:
    """:func:`lorenz_curve` from the :func:`spend_distribution` of the customers' spend."""
    if isinstance(points, bool) or not isinstance(points, int) or points < 2:
        raise UserError(f"a Lorenz curve needs at least 2 points, got {points!r}")
    steps = points - 1
    ranked = _ranked(dist)
    # step s reads the customer at sorted position floor(s n / steps): the spends holding
    # steps first_step .. last_step, in integers (a handful of rows of the distribution)
    first_step = (ranked.before * steps + ranked.n - 1) // ranked.n
    last_step = ((ranked.before + ranked.customers) * steps - 1) // ranked.n
    held = ranked.mutate(first_step=first_step, last_step=last_step)
    held = held.filter(held.first_step <= held.last_step)
    totals = dist.aggregate(n=dist.customers.sum(), total=dist.revenue_sum.sum())
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
    curve = grid.left_join(
        held.select("revenue", "before", "below", "first_step", "last_step"),
        [grid.step >= held.first_step, grid.step <= held.last_step],
    )
    # the `whole` smallest spenders, then `part` of the next one, who spent `revenue`
    below = curve.below + (curve.whole - curve.before + curve.part) * curve.revenue
    share = ibis.cases(
        (curve.n.fill_null(0) == 0, ibis.null("float64")),
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
    return top_share_of(spend_distribution(_spend(purchases)), share)


def top_share_of(dist: ir.Table, share: float = 0.2) -> ir.Table:
    """:func:`top_revenue_share` from the :func:`spend_distribution` of the customers' spend."""
    fraction = exact_fraction(share, "the share of top customers")
    if fraction == 0:
        raise UserError("the share of top customers must be more than 0")
    num, den = fraction.numerator, fraction.denominator
    ranked = _ranked(dist, descending=True)
    top = ibis.greatest((2 * ranked.n * num + den) // (2 * den), 1)
    taken = ibis.cases(
        (ranked.before + ranked.customers <= top, ranked.revenue_sum),
        (ranked.before < top, (top - ranked.before).cast("float64") * ranked.revenue),
        else_=0.0,
    )
    return ranked.aggregate(top_revenue_share=ratio(taken.sum(), ranked.revenue_sum.sum()))
