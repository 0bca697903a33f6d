"""Net Promoter Score with its 95 % interval, per period and over all answers.

Input: survey responses with the canonical columns (docs/data-model.md) ``responded_at``
(naive UTC timestamp) and ``score``, optionally ``survey`` (NPS answers have 'nps', any case;
a missing survey counts as 'nps'). An answer is an NPS answer when its score is a whole
number 0..10. Promoters score 9-10, passives 7-8, detractors 0-6.

With n answers, P promoters and D detractors, p = P / n and d = D / n:
NPS = 100 (p - d) points; the interval treats each answer as +1, 0 or -1 (a multinomial
draw), whose mean has variance v = (p + d - (p - d)^2) / n, and gives
NPS +- 1.96 x 100 sqrt(v), clipped to [-100, 100]; null when n < 2, NPS null when n = 0.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from holdfast.analytics.calendar import periods_frame
from holdfast.analytics.orders import local_day
from holdfast.analytics.scope import dated_in_scope
from holdfast.analytics.stats import ratio
from holdfast.errors import UserError

#: The normal quantile of a two-sided 95 % interval.
Z_95 = 1.96

#: The columns of :func:`nps_by_period`, in order (the report's NPS_COLUMNS).
NPS_PERIOD_COLUMNS = (
    "period",
    "responses",
    "promoters",
    "passives",
    "detractors",
    "nps",
    "ci_low",
    "ci_high",
)


def nps_answers(responses: ir.Table) -> ir.Table:
    """The NPS answers among ``responses``: ``responded_at`` and the integer ``score``."""
    missing = [c for c in ("responded_at", "score") if c not in responses.columns]
    if missing:
        raise UserError(f"the survey responses have no {', '.join(missing)} column")
    keep = responses.score.isin(list(range(11)))
    if "survey" in responses.columns:
        keep = keep & (responses.survey.fill_null("nps").strip().lower() == "nps")
    answers = responses.filter(keep)
    return answers.select("responded_at", score=answers.score.cast("int64"))


def _tally(answers: ir.Table) -> dict[str, ir.IntegerValue]:
    return {
        "responses": answers.count(),
        "promoters": ibis.cases((answers.score >= 9, 1), else_=0).sum().fill_null(0),
        "detractors": ibis.cases((answers.score <= 6, 1), else_=0).sum().fill_null(0),
    }


def _scored(counts: ir.Table) -> dict[str, ir.Value]:
    """NPS and its interval, in points, from ``responses``/``promoters``/``detractors``."""
    n = counts.responses.fill_null(0).cast("int64")
    promoters = counts.promoters.fill_null(0).cast("int64")
    detractors = counts.detractors.fill_null(0).cast("int64")
    p = ratio(promoters, n)
    d = ratio(detractors, n)
    nps = 100.0 * (p - d)
    variance = ibis.greatest((p + d - (p - d) * (p - d)) / n.cast("float64"), 0.0)
    half = Z_95 * 100.0 * variance.sqrt()
    enough = n >= 2
    return {
        "responses": n,
        "promoters": promoters,
        "passives": n - promoters - detractors,
        "detractors": detractors,
        "nps": nps,
        "ci_low": ibis.cases(
            (enough, ibis.greatest(nps - half, -100.0)), else_=ibis.null("float64")
        ),
        "ci_high": ibis.cases((enough, ibis.least(nps + half, 100.0)), else_=ibis.null("float64")),
    }


def nps_overall(responses: ir.Table) -> ir.Table:
    """One row over every NPS answer: ``nps``, ``nps_responses``, ``nps_ci_low``,
    ``nps_ci_high`` (the report's NPS summary fields; nulls and 0 without answers)."""
    answers = nps_answers(responses)
    counts = answers.aggregate(**_tally(answers))
    scored = _scored(counts)
    return counts.select(
        nps=scored["nps"],
        nps_responses=scored["responses"],
        nps_ci_low=scored["ci_low"],
        nps_ci_high=scored["ci_high"],
    )


def nps_by_period(
    responses: ir.Table,
    *,
    grain: str,
    first: dt.date,
    as_of: dt.date,
    timezone: str = "UTC",
    span: tuple[dt.datetime, dt.datetime] | None = None,
) -> ir.Table:
    """One row per period from ``first`` to ``as_of`` (all of them, 0 answers where none):
    the period index ``idx`` and the columns of :data:`NPS_PERIOD_COLUMNS`, ordered by period.

    Answers are dated by their local day in ``timezone``; outside UTC, ``span`` (the first
    and last ``responded_at``) bounds the zone's transitions (as for purchases). Answers
    before ``first`` or after ``as_of`` are left out.

        period  | responses | promoters | passives | detractors |  nps  | ci_low | ci_high
        2024-01 |        18 |         9 |        6 |          3 | 33.33 |  -1.10 |   67.77
    """
    answers = nps_answers(responses)
    answers = answers.mutate(response_day=local_day(answers.responded_at, timezone, span))
    dated = dated_in_scope(answers, "response_day", grain=grain, first=first, as_of=as_of)
    counts = dated.group_by("period_idx").aggregate(**_tally(dated))
    periods = ibis.memtable(periods_frame(first, as_of, grain))
    table = periods.left_join(counts, periods.idx == counts.period_idx)
    return table.select("idx", "period", **_scored(table)).order_by("idx")
