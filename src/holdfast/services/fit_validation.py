"""The calibration/holdout check of a purchase model: fit on the data up to a calibration end,
forecast the rest, compare (Fader, Hardie & Lee 2005, figures 2-4).

The summaries and the repeat-purchase timeline are computed in the database; only one row per
customer and one row per purchase day cross into Python.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from holdfast.analytics.summary import summary_of_days, timeline_of_days, unit_days
from holdfast.models import FitResult
from holdfast.models.validation import cumulative_tracking, holdout_comparison
from holdfast.services.fit_models import NotEnoughData, fit_purchase_model, parameter_table
from holdfast.services.fit_predictions import by_customer
from holdfast.services.metrics import frame_of

#: Points on the calibration/holdout tracking chart at most.
TRACKING_POINTS = 300


@dataclass(frozen=True)
class Validation:
    """The model fitted on data up to ``calibration_end`` and its forecast of
    (calibration_end, holdout_end] against what happened.

    ``summary``: customers, actual_total, predicted_total, mean_error, mae, rmse, correlation;
    ``by_frequency``: frequency bucket ("0" … "7+"), customers, actual, predicted (means per
    customer); ``tracking``: t (units from calibration_end), date, expected, actual (cumulative
    repeat purchases of the cohort); ``per_customer``: customer_id, frequency, predicted,
    actual, error.
    """

    calibration_end: dt.date
    holdout_end: dt.date
    fit: FitResult
    parameters: pd.DataFrame
    summary: dict[str, float]
    by_frequency: pd.DataFrame
    tracking: pd.DataFrame
    per_customer: pd.DataFrame


def validate(
    days: ir.Table,
    *,
    model: str,
    unit: str,
    penalizer: float,
    calibration_end: dt.date,
    holdout_end: dt.date,
    diagnostics: list[str],
) -> Validation:
    """Fit ``model`` on purchases up to ``calibration_end``, forecast to ``holdout_end``, compare.

    ``days`` are the purchase days (:func:`holdfast.analytics.summary.purchase_days`) up to
    ``holdout_end`` or later.

    Raises :class:`NotEnoughData` when nobody bought twice by the calibration end; the calibration
    fit's warnings go to ``diagnostics``, prefixed "calibration fit".
    """
    summary = frame_of(
        summary_of_days(
            days,
            as_of=holdout_end,
            time_unit_days=unit,
            calibration_end=calibration_end,
        ).order_by("customer_id")
    )
    if not (summary["frequency"] > 0).any():
        raise NotEnoughData(
            f"nobody bought more than once by the calibration end ({calibration_end}), so the "
            "model cannot be checked against a holdout: choose a later calibration end"
        )
    notes: list[str] = []
    fit = fit_purchase_model(model, penalizer, summary, notes)
    diagnostics += [f"calibration fit (to {calibration_end}): {text}" for text in notes]
    x, tx, age = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    holdout = holdout_comparison(
        fit,
        x,
        tx,
        age,
        summary["frequency_holdout"].to_numpy(dtype=float),
        summary["duration_holdout"].to_numpy(dtype=float),
    )
    per_customer = holdout.per_customer.assign(
        customer_id=summary["customer_id"].astype(str).to_numpy()
    )[["customer_id", "frequency", "predicted", "actual", "error"]]
    timeline = frame_of(
        timeline_of_days(
            days,
            calibration_end=calibration_end,
            holdout_end=holdout_end,
            time_unit_days=unit,
        )
    )
    duration = float(summary["duration_holdout"].iloc[0])
    times = tracking_times(float(age.max()), duration)
    tracking = cumulative_tracking(
        fit,
        age,
        times,
        actual_t=timeline["t"].to_numpy(dtype=float),
        actual_count=timeline["repeat_purchases"].to_numpy(dtype=float),
    )
    offsets = np.rint(times * unit_days(unit)).astype("timedelta64[D]")
    dates = pd.Series(np.datetime64(calibration_end, "D") + offsets)
    tracking.insert(1, "date", dates.dt.date)
    return Validation(
        calibration_end=calibration_end,
        holdout_end=holdout_end,
        fit=fit,
        parameters=parameter_table([fit]),
        summary=holdout.summary,
        by_frequency=holdout.by_frequency,
        tracking=tracking,
        per_customer=by_customer(per_customer),
    )


def tracking_times(oldest: float, duration: float) -> np.ndarray:
    """Whole time units from the oldest customer's first purchase to the holdout end (or at most
    :data:`TRACKING_POINTS` evenly spaced points), always ending at the holdout end."""
    start = -math.floor(oldest)
    if duration - start <= TRACKING_POINTS:
        times = np.arange(start, math.floor(duration) + 1, dtype=float)
    else:
        times = np.linspace(start, duration, TRACKING_POINTS)
    return np.unique(np.append(times, duration))
