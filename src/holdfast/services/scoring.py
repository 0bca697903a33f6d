"""Score every customer of the store as of a date and keep the scores (``holdfast score``).

RFM values and scores, the basket rules and the recommendations are computed by analytics on
a copy of the store's orders and order lines in an in-process DuckDB
(:mod:`holdfast.services.store_copy`); the purchase and spend models are fitted on the
per-customer summary (:mod:`holdfast.services.fitting`); segments, stages and VIPs are pure
rules on the fetched one-row-per-customer table; the run and its scores are written in one
transaction. A run for a date that is already scored changes nothing; a new date adds a run.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from holdfast.analytics.baskets import basket_rules, recommendations
from holdfast.analytics.concentration import top_revenue_share
from holdfast.analytics.rfm import model_summary, rfm_scores, rfm_values
from holdfast.domain.lifecycle import AT_RISK
from holdfast.domain.money import currency_exponent
from holdfast.errors import UserError
from holdfast.models.diagnostics import MIN_REPEAT_BUYERS
from holdfast.services.fitting import (
    FitOptions,
    FitOutcome,
    NotEnoughData,
    fit_summary,
    purchase_bounds,
    source_transactions,
)
from holdfast.services.metrics import frame_of, row_of
from holdfast.services.segments.frame import score_frame
from holdfast.services.segments.lines import store_order_lines
from holdfast.services.segments.options import ScoreOptions
from holdfast.services.segments.write import find_run, write_run
from holdfast.services.store_copy import copy_store, one_thread, store_ids
from holdfast.store.engine import create_store_engine
from holdfast.store.score_tables import ScoreRun

#: Steps of a run, for progress bars.
STEPS = ("RFM scores", "model fit", "basket rules", "segments and stages", "writing")
TOO_SMALL = (
    "the shop is too small to fit a model ({reason}); VIPs are ranked by historical spend and "
    "P(alive), expected purchases and predicted value are left empty"
)


@dataclass(frozen=True)
class ScoreResult:
    """What a scoring run did: its id, whether it was new, and headline value numbers."""

    run_id: int
    as_of: dt.date
    created: bool
    customers: int
    model: str | None
    note: str | None
    summary: dict[str, float | int | None]
    currency: str | None = None


def _fit(
    summary: pd.DataFrame, as_of: dt.date, options: ScoreOptions
) -> tuple[FitOutcome | None, str | None]:
    fit_options = FitOptions(
        model=options.model,
        unit="W",
        as_of=as_of,
        horizon=options.horizon_weeks,
        discount_rate=options.discount_rate,
        timezone=options.timezone,
    )
    try:
        return fit_summary(summary, fit_options, min_repeat_buyers=MIN_REPEAT_BUYERS), None
    except NotEnoughData as error:
        return None, TOO_SMALL.format(reason=error)


def _local(table: ir.Table) -> pd.DataFrame:
    return table.to_pyarrow().to_pandas(date_as_object=False)


def customer_values(
    purchases: ir.Table, as_of: dt.date, bins: int
) -> tuple[pd.DataFrame, pd.DataFrame, float | None]:
    """(RFM values with scores, the models' summary, the top 20 % revenue share).

    The per-customer values are computed where the purchases live, in one pass; the scores,
    the summary and the 80/20 share are the same analytics run on that one-row-per-customer
    table in an in-process DuckDB, so the purchases are read only once.
    """
    values = ibis.memtable(rfm_values(purchases, as_of=as_of).to_pyarrow())
    rfm = _local(rfm_scores(values, bins=bins))
    summary = _local(model_summary(values, as_of=as_of, time_unit_days="W"))
    spend = values.select("customer_id", amount=values.spend)
    share = row_of(top_revenue_share(spend, 0.2)).get("top_revenue_share")
    return rfm, summary, share


def _recommendations(
    con: ibis.BaseBackend, as_of: dt.date, options: ScoreOptions
) -> tuple[pd.DataFrame | None, int]:
    """(recommendations, number of rules). The rules are small: they are fetched once and
    joined back as a literal table, which keeps the recommendation query simple for SQLite."""
    lines = store_order_lines(con)
    # kept in the database as a narrow temporary table: the rules and the recommendations
    # both read it, and neither repeats the three-table join
    lines = con.create_table(
        "holdfast_score_lines", lines.filter(lines.order_date <= as_of), temp=True, overwrite=True
    )
    rules = basket_rules(
        lines, min_support=options.min_support, min_confidence=options.min_confidence
    ).to_pyarrow()
    if rules.num_rows == 0:
        return None, 0
    recs = recommendations(lines, ibis.memtable(rules), as_of=as_of, top=options.top_products)
    return frame_of(recs), rules.num_rows


def value_summary(scores: pd.DataFrame, top_share: float | None) -> dict[str, float | int | None]:
    """Customers, VIPs, predicted value, revenue at risk (predicted value of the at-risk
    customers) and the top 20 % customers' share of revenue to date (the 80/20 check)."""
    value = scores["predicted_value"]
    has_value = bool(value.notna().any())
    at_risk = scores["stage"] == AT_RISK
    return {
        "customers": len(scores),
        "vips": int(scores["vip"].sum()),
        "predicted_value": float(value.sum()) if has_value else None,
        "at_risk_customers": int(at_risk.sum()),
        "revenue_at_risk": float(value[at_risk].sum()) if has_value else None,
        "top20_revenue_share": top_share,
    }


def score(
    url: str,
    as_of: dt.date | None = None,
    options: ScoreOptions | None = None,
    *,
    on_step: Callable[[str], None] | None = None,
) -> ScoreResult:
    """Score every customer of the store at ``url`` as of ``as_of`` (default: the last
    purchase day) and write the run, unless that date is scored already."""
    options = (options or ScoreOptions()).checked()
    step = on_step or (lambda _name: None)
    source = copy_store(url)
    try:
        purchases = source_transactions(source, options.timezone)
        first, last = purchase_bounds(purchases)
        as_of = as_of or last
        if as_of < first:
            raise UserError(f"--as-of {as_of} is before the first purchase ({first})")
        engine = create_store_engine(url)
        try:
            with engine.connect() as conn:
                existing = find_run(conn, as_of)
            if existing is not None:
                return _existing(engine, existing, as_of)
            step(STEPS[0])
            with one_thread(source.backend):
                rfm, summary, share = customer_values(purchases, as_of, options.bins)
            step(STEPS[1])
            outcome, note = _fit(summary, as_of, options)
            step(STEPS[2])
            recs, rule_count = _recommendations(source.backend, as_of, options)
            step(STEPS[3])
            predictions = None if outcome is None else outcome.predictions
            scores = score_frame(rfm, predictions, recs, as_of=as_of, options=options)
            summary = value_summary(scores, share)
            summary["basket_rules"] = rule_count
            step(STEPS[4])
            model = None if outcome is None else outcome.purchase.model
            parameters = {} if outcome is None else outcome.models()
            if outcome is not None and outcome.diagnostics:
                parameters["diagnostics"] = outcome.diagnostics
            scale = 10 ** currency_exponent(source.currency) if source.currency else 100
            settings = {**options.to_dict(), "summary": summary, "currency": source.currency}
            run_id, created = write_run(
                engine,
                as_of=as_of,
                model=model,
                parameters=parameters,
                settings=settings,
                note=note,
                scores=scores,
                customer_ids=store_ids(source, scores["customer_id"]),
                scale=scale,
            )
        finally:
            engine.dispose()
    finally:
        source.close()
    if not created:
        return _existing(create_store_engine(url), run_id, as_of, dispose=True)
    return ScoreResult(run_id, as_of, True, len(scores), model, note, summary, source.currency)


def _existing(engine: Engine, run_id: int, as_of: dt.date, dispose: bool = False) -> ScoreResult:
    table = ScoreRun.__table__
    try:
        with engine.connect() as conn:
            row = conn.execute(sa.select(table).where(table.c.id == run_id)).mappings().one()
    finally:
        if dispose:
            engine.dispose()
    settings = json.loads(row["settings"])
    return ScoreResult(
        run_id,
        as_of,
        False,
        int(row["customers"]),
        row["model"],
        row["note"],
        settings.get("summary", {}),
        settings.get("currency"),
    )


__all__ = ["STEPS", "ScoreOptions", "ScoreResult", "score", "value_summary"]
