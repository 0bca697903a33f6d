"""Fit a customer-base model on a source's orders and predict every customer.

The use case behind ``holdfast fit``, the report's "What comes next" section and customer
scoring. The per-customer summary (frequency, recency, T, mean spend) is computed in the
database by analytics; only that one-row-per-customer table crosses into Python, where the
purchase model (BG/NBD, MBG/NBD or Pareto/NBD) and the Gamma-Gamma spend model are fitted and
every customer's predictions computed. With a calibration end the same model is also fitted
on the data up to that date and checked against the purchases made after it.

Public API (docs/models.md, "Fitting from Python"):

* :func:`fit_source` — a :class:`~holdfast.services.sources.DataSource` (file or store);
* :func:`fit_purchases` — an Ibis purchases relation (``customer_id``, ``order_date``,
  ``amount``);
* :func:`fit_summary` — a per-customer summary DataFrame already in hand.

Each returns a :class:`FitOutcome`: the fitted models (``purchase``, ``spend``), the parameter
table, diagnostics in plain words and ``predictions`` (one row per customer). Statistical
trouble never stops a fit (it becomes a diagnostic); data that cannot support one at all
(nobody bought twice) is a :class:`NotEnoughData` error.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace
from typing import Any

import ibis.expr.types as ir
import pandas as pd

from holdfast.analytics.orders import order_span
from holdfast.analytics.summary import purchase_days, summary_of_days, unit_days
from holdfast.analytics.transactions import transactions
from holdfast.errors import UserError
from holdfast.models import FitResult
from holdfast.services.fit_models import (
    NotEnoughData,
    fit_purchase_model,
    fit_spend_model,
    model_name,
    parameter_table,
)
from holdfast.services.fit_predictions import PREDICTION_COLUMNS, predict_customers
from holdfast.services.fit_validation import Validation, validate
from holdfast.services.metrics import as_date, frame_of, row_of
from holdfast.services.sources import DataSource

__all__ = [
    "PREDICTION_COLUMNS",
    "SUMMARY_COLUMNS",
    "FitOptions",
    "FitOutcome",
    "NotEnoughData",
    "Validation",
    "fit_purchases",
    "fit_source",
    "fit_summary",
    "source_transactions",
]

#: Time units by option name: their names in words and one year in that unit.
UNITS: dict[str, tuple[str, float]] = {
    "D": ("day", 365.0),
    "W": ("week", 52.0),
    "M": ("month", 12.0),
}
#: The columns :func:`fit_summary` needs (times in the options' unit).
SUMMARY_COLUMNS = ("customer_id", "frequency", "recency", "T", "monetary_value")


@dataclass(frozen=True)
class FitOptions:
    """What to fit and predict.

    ``model``: bgnbd, mbgnbd or paretonbd (Gamma-Gamma is always fitted for spend). ``unit``:
    D, W or M, the time unit of frequency/recency/T, the parameters and the horizon. ``as_of``:
    the last day of data to use (default: the last purchase day). ``calibration_end``: when
    given, also fit on the data up to it and compare with (calibration_end, as_of].
    ``horizon``: the forecast length in units (default one year). ``discount_rate``: per year,
    for the predicted customer value. ``penalizer``: see holdfast.models. ``timezone``: the
    business zone for purchase days.
    """

    model: str = "bgnbd"
    unit: str = "W"
    as_of: dt.date | None = None
    calibration_end: dt.date | None = None
    horizon: float | None = None
    discount_rate: float = 0.10
    penalizer: float = 0.0
    timezone: str = "UTC"

    def checked(self) -> FitOptions:
        """These options normalised (model lower case, unit upper case, horizon filled in),
        or a UserError naming the bad one."""
        model = model_name(self.model)
        unit = self.unit.upper()
        if unit not in UNITS:
            raise UserError(f"unknown time unit {self.unit!r}: use D, W or M")
        horizon = UNITS[unit][1] if self.horizon is None else float(self.horizon)
        if not (math.isfinite(horizon) and horizon > 0):
            raise UserError(f"the horizon must be a positive number of {UNITS[unit][0]}s")
        if not (math.isfinite(self.discount_rate) and self.discount_rate > -1):
            raise UserError(f"the discount rate must be above -1, got {self.discount_rate!r}")
        if not (math.isfinite(self.penalizer) and self.penalizer >= 0):
            raise UserError(f"the penalizer must be 0 or more, got {self.penalizer!r}")
        if self.as_of and self.calibration_end and not self.calibration_end < self.as_of:
            raise UserError(
                f"the calibration end ({self.calibration_end}) must be before as-of ({self.as_of})"
            )
        return replace(self, model=model, unit=unit, horizon=horizon)

    @property
    def unit_days(self) -> float:
        """Days per time unit."""
        return unit_days(self.unit)

    @property
    def unit_name(self) -> str:
        """The unit in words: day, week or month."""
        return UNITS[self.unit.upper()][0]


@dataclass(frozen=True)
class FitOutcome:
    """A fitted model and its predictions.

    ``parameters``: model, parameter, estimate, std_error, ci_low, ci_high (purchase model,
    then Gamma-Gamma). ``diagnostics``: everything that should make a reader careful, in
    plain words. ``predictions``: one row per customer, columns :data:`PREDICTION_COLUMNS`
    (docs/models.md). ``spend`` is None when the spend model could not be fitted (then spend,
    revenue and value are NaN, and a diagnostic says why). ``validation`` is None without a
    calibration end.
    """

    options: FitOptions
    as_of: dt.date
    purchase: FitResult
    spend: FitResult | None
    parameters: pd.DataFrame
    diagnostics: list[str]
    predictions: pd.DataFrame
    validation: Validation | None = None

    @property
    def horizon(self) -> float:
        """The forecast length in time units."""
        assert self.options.horizon is not None
        return self.options.horizon

    def totals(self) -> dict[str, Any]:
        """Sums over customers: expected purchases, revenue and value, likely-active count."""
        p = self.predictions
        return {
            "customers": len(p),
            "repeat_buyers": int((p["frequency"] > 0).sum()),
            "expected_purchases": float(p["expected_purchases"].sum()),
            "expected_revenue": _nan_sum(p["expected_revenue"]),
            "predicted_clv": _nan_sum(p["predicted_clv"]),
            "likely_active": int((p["p_alive"] >= 0.5).sum()),
            "mean_p_alive": float(p["p_alive"].mean()) if len(p) else math.nan,
        }

    def models(self) -> dict[str, Any]:
        """The fitted models as JSON-ready dicts (``FitResult.to_dict``), to keep them."""
        out: dict[str, Any] = {"purchase": self.purchase.to_dict()}
        out["spend"] = None if self.spend is None else self.spend.to_dict()
        if self.validation is not None:
            out["calibration"] = {
                "calibration_end": self.validation.calibration_end.isoformat(),
                "holdout_end": self.validation.holdout_end.isoformat(),
                "purchase": self.validation.fit.to_dict(),
            }
        return out


def source_transactions(source: DataSource, timezone: str = "UTC") -> ir.Table:
    """The source's purchase occasions (zero-value orders included) dated in ``timezone``."""
    span = row_of(order_span(source.orders))
    if not span or span.get("first") is None:
        raise NotEnoughData(f"{source.description}: there are no orders to fit a model on")
    return transactions(source.orders, timezone=timezone, span=(span["first"], span["last"]))


def fit_source(source: DataSource, options: FitOptions) -> FitOutcome:
    """Fit and predict on a source's orders (an export file, or the store)."""
    options = options.checked()
    return fit_purchases(source_transactions(source, options.timezone), options)


def fit_purchases(
    purchases: ir.Table,
    options: FitOptions,
    *,
    min_repeat_buyers: int = 1,
    check_optional: bool = False,
) -> FitOutcome:
    """Fit and predict on a purchases relation (``customer_id``, ``order_date``, ``amount``).

    Raises :class:`NotEnoughData` when fewer than ``min_repeat_buyers`` customers bought more
    than once by as-of (at least one is always needed), and a UserError for an as-of or
    calibration end outside the data. With ``check_optional``, a calibration/holdout check the
    data cannot support is dropped with a diagnostic instead of raising.
    """
    options = options.checked()
    first, last = purchase_bounds(purchases)
    as_of = options.as_of or last
    if as_of < first:
        raise UserError(f"as-of {as_of} is before the first purchase ({first})")
    cal_end = options.calibration_end
    if cal_end is not None:
        if not cal_end < as_of:
            raise UserError(
                f"the calibration end ({cal_end}) must be before as-of ({as_of}), the last day "
                "of the data used"
            )
        if cal_end < first:
            raise UserError(
                f"the calibration end ({cal_end}) is before the first purchase ({first})"
            )
    options = replace(options, as_of=as_of)
    days = purchase_days(purchases, as_of)
    if cal_end is None:
        summary = _summary(days, as_of, options.unit)
        return fit_summary(summary, options, min_repeat_buyers=min_repeat_buyers)
    # the summary, the calibration summary and the timeline all read these days
    days = days.cache()
    try:
        summary = _summary(days, as_of, options.unit)
        outcome = fit_summary(summary, options, min_repeat_buyers=min_repeat_buyers)
        diagnostics = list(outcome.diagnostics)
        validation = _holdout_check(days, options, cal_end, diagnostics, check_optional)
    finally:
        days.release()
    return replace(outcome, diagnostics=_unique(diagnostics), validation=validation)


def _holdout_check(
    days: ir.Table,
    options: FitOptions,
    cal_end: dt.date,
    diagnostics: list[str],
    optional: bool,
) -> Validation | None:
    """The calibration/holdout check to ``options.as_of``; None (and why, in
    ``diagnostics``) when the data cannot support it and the check is ``optional``."""
    assert options.as_of is not None
    try:
        return validate(
            days,
            model=options.model,
            unit=options.unit,
            penalizer=options.penalizer,
            calibration_end=cal_end,
            holdout_end=options.as_of,
            diagnostics=diagnostics,
        )
    except NotEnoughData as error:
        if not optional:
            raise
        diagnostics.append(f"no holdout check: {error}")
        return None


def _summary(days: ir.Table, as_of: dt.date, unit: float | str) -> pd.DataFrame:
    """The models' summary of purchase days, sorted by customer in the database (the
    predictions keep that order, and sorting a million ids there is cheaper)."""
    summary = summary_of_days(days, as_of=as_of, time_unit_days=unit)
    return frame_of(summary.order_by("customer_id"))


def fit_summary(
    summary: pd.DataFrame, options: FitOptions, *, min_repeat_buyers: int = 1
) -> FitOutcome:
    """Fit the purchase and spend models on a per-customer summary and predict every customer.

    ``summary`` has :data:`SUMMARY_COLUMNS` (as :func:`holdfast.analytics.summary.
    customer_summary` gives them, times in ``options.unit``); ``options.as_of`` is required
    (the day the summary runs to: next-order dates count from it). The calibration end is not
    used here (see :func:`fit_purchases`). Raises :class:`NotEnoughData` with fewer than
    ``min_repeat_buyers`` repeat buyers, an InputError (from the models) for impossible rows.
    """
    options = options.checked()
    if options.as_of is None:
        raise UserError("fit_summary needs options.as_of, the day the summary runs to")
    missing = [c for c in SUMMARY_COLUMNS if c not in summary.columns]
    if missing:
        raise UserError(f"the customer summary has no {', '.join(missing)} column")
    repeat = int((summary["frequency"] > 0).sum())
    needed = max(min_repeat_buyers, 1)
    if repeat < needed:
        raise NotEnoughData(
            f"only {repeat:,} of {len(summary):,} customers bought more than once by "
            f"{options.as_of}; a forecast needs at least {needed:,} repeat buyer"
            f"{'' if needed == 1 else 's'}"
        )
    diagnostics: list[str] = []
    purchase = fit_purchase_model(options.model, options.penalizer, summary, diagnostics)
    spend = fit_spend_model(summary, diagnostics)
    assert options.horizon is not None
    predictions = predict_customers(
        purchase,
        spend,
        summary,
        horizon=options.horizon,
        unit_days=options.unit_days,
        as_of=options.as_of,
        discount_rate=options.discount_rate,
        diagnostics=diagnostics,
    )
    return FitOutcome(
        options=options,
        as_of=options.as_of,
        purchase=purchase,
        spend=spend,
        parameters=parameter_table([purchase, spend]),
        diagnostics=_unique(diagnostics),
        predictions=predictions,
    )


def purchase_bounds(purchases: ir.Table) -> tuple[dt.date, dt.date]:
    """The first and last purchase day, or NotEnoughData when there is none."""
    row = row_of(
        purchases.aggregate(first=purchases.order_date.min(), last=purchases.order_date.max())
    )
    if row.get("first") is None:
        raise NotEnoughData("there are no purchases to fit a model on")
    return as_date(row["first"]), as_date(row["last"])


def _nan_sum(series: pd.Series) -> float:
    return float(series.sum(min_count=1)) if len(series) else 0.0


def _unique(texts: list[str]) -> list[str]:
    return list(dict.fromkeys(texts))
