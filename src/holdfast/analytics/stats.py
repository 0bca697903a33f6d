"""Small statistics every backend can compute: safe ratios and interpolated quantiles.

SQLite has no percentile function and the others disagree on names and on interpolation, so
quantiles are computed here from row numbers with the same linear interpolation as numpy's
default (Hyndman and Fan 1996, type 7; PostgreSQL's ``percentile_cont``).
"""

from __future__ import annotations

from fractions import Fraction

import ibis
import ibis.expr.types as ir

from holdfast.errors import UserError


def ratio(numerator: ir.NumericValue, denominator: ir.NumericValue) -> ir.FloatingValue:
    """numerator / denominator as a float; null where the denominator is 0 or null."""
    return ibis.cases(
        (denominator > 0, numerator.cast("float64") / denominator.cast("float64")),
        else_=ibis.null("float64"),
    )


def exact_fraction(value: float | str | Fraction, name: str) -> Fraction:
    """``value`` as the decimal fraction it was written as (0.2 -> 1/5), between 0 and 1."""
    try:
        fraction = Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        raise UserError(f"{name} must be a number between 0 and 1, got {value!r}") from None
    if not 0 <= fraction <= 1:
        raise UserError(f"{name} must be between 0 and 1, got {value!r}")
    return fraction


def quantiles(values: ir.NumericColumn, probabilities: dict[str, float | Fraction]) -> ir.Table:
    """One row with a column per name: the quantile of ``values`` (nulls ignored) at that
    probability, linearly interpolated between order statistics; null when there are no values.

    With the n values sorted as x_0 <= ... <= x_(n-1) and h = (n - 1) p, the quantile is
    x_floor(h) + (h - floor(h)) (x_floor(h)+1 - x_floor(h)). ``h`` is computed in integers
    from p as a fraction, so p = 0.25 of 5 values lands exactly on x_1. The values are counted
    per distinct value first (:func:`weighted_quantiles`), so whole-day gaps or repeated
    amounts sort a few thousand rows instead of millions.

    >>> quantiles(gaps.days, {"median": 0.5})  # doctest: +SKIP
    """
    table = values.name("x").as_table()
    table = table.filter(table.x.notnull())
    counts = table.group_by("x").aggregate(n=table.count())
    return weighted_quantiles(counts, "x", "n", probabilities)


def weighted_quantiles(
    counts: ir.Table, value: str, count: str, probabilities: dict[str, float | Fraction]
) -> ir.Table:
    """:func:`quantiles` of a multiset given as one row per distinct ``value`` with its
    ``count`` (>= 1) of occurrences: the order statistic x_k is the value whose run of
    sorted positions [before, before + count) holds k."""
    table = counts.select(x=counts[value].cast("float64"), n=counts[count].cast("int64"))
    running = ibis.cumulative_window(order_by="x")
    ranked = table.select(
        "x",
        before=table.n.sum().over(running) - table.n,
        after=table.n.sum().over(running),
        last=table.n.sum().over() - 1,
    )

    def holds(k: ir.IntegerValue) -> ir.BooleanValue:
        return (ranked.before <= k) & (k < ranked.after)

    columns = {}
    for name, p in probabilities.items():
        fraction = exact_fraction(p, f"the probability of {name}")
        num, den = fraction.numerator, fraction.denominator
        low = (ranked["last"] * num) // den
        weight = ((ranked["last"] * num) % den).cast("float64") / den
        at_low = ibis.cases((holds(low), ranked.x * (1.0 - weight)), else_=0.0)
        at_next = ibis.cases((holds(low + 1), ranked.x * weight), else_=0.0)
        columns[name] = (at_low + at_next).sum()
    return ranked.aggregate(**columns)
