"""Calibration / holdout validation of a fitted purchase model, as tables (charts come later).

Three views, after Fader, Hardie & Lee (2005, figures 2-4):

* cumulative tracking: expected vs actual cumulative repeat purchases of the cohort over time;
* conditional expectations: mean holdout purchases by calibration frequency, actual vs model;
* per-customer error: predicted vs actual holdout purchases for each customer.

Input is the customer summary of :func:`holdfast.analytics.summary.customer_summary` with a
calibration split (frequency, recency, T, frequency_holdout, duration_holdout) and, for the
tracking, the timeline of :func:`holdfast.analytics.summary.repeat_purchase_timeline`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from holdfast.models._common import arrays
from holdfast.models.clv import purchase_module
from holdfast.models.result import FitResult


@dataclass(frozen=True)
class HoldoutReport:
    """Holdout comparison: ``summary`` (totals and errors), ``by_frequency`` (one row per
    calibration frequency bucket) and ``per_customer`` (one row per input row)."""

    summary: dict[str, float]
    by_frequency: pd.DataFrame
    per_customer: pd.DataFrame


def holdout_comparison(
    result: FitResult,
    frequency,
    recency,
    T,
    frequency_holdout,
    duration_holdout,
    *,
    max_frequency: int = 7,
) -> HoldoutReport:
    """Compare E[Y(duration_holdout) | x, t_x, T] with the purchases actually made.

    ``by_frequency`` buckets customers by calibration frequency 0, 1, ..., max_frequency and
    "max_frequency+" (the last bucket is labelled e.g. "7+"), with the number of customers and
    the mean actual and predicted holdout purchases, as in FHL (2005) figure 4.
    """
    module = purchase_module(result)
    x, tx, age, actual, duration = arrays(
        frequency, recency, T, frequency_holdout, duration_holdout
    )
    predicted = np.asarray(
        module.conditional_expected_purchases(result.params, duration, x, tx, age), dtype=float
    )
    error = predicted - actual
    per_customer = pd.DataFrame(
        {"frequency": x, "predicted": predicted, "actual": actual, "error": error}
    )
    bucket = np.minimum(x, max_frequency).astype(int)
    labels = [str(k) for k in range(max_frequency)] + [f"{max_frequency}+"]
    grouped = (
        pd.DataFrame({"bucket": bucket, "actual": actual, "predicted": predicted})
        .groupby("bucket")
        .agg(
            customers=("actual", "size"), actual=("actual", "mean"), predicted=("predicted", "mean")
        )
        .reindex(range(max_frequency + 1))
    )
    by_frequency = pd.DataFrame(
        {
            "frequency": labels,
            "customers": grouped["customers"].fillna(0).astype(int).to_numpy(),
            "actual": grouped["actual"].to_numpy(),
            "predicted": grouped["predicted"].to_numpy(),
        }
    )
    n = max(x.size, 1)
    corr = (
        float(np.corrcoef(predicted, actual)[0, 1])
        if x.size > 1 and np.ptp(predicted) > 0 and np.ptp(actual) > 0
        else float("nan")
    )
    summary = {
        "customers": float(x.size),
        "actual_total": float(actual.sum()),
        "predicted_total": float(predicted.sum()),
        "mean_error": float(error.sum() / n),
        "mae": float(np.abs(error).sum() / n),
        "rmse": float(np.sqrt((error**2).sum() / n)),
        "correlation": corr,
    }
    return HoldoutReport(summary=summary, by_frequency=by_frequency, per_customer=per_customer)


def cumulative_tracking(
    result: FitResult,
    T,
    times,
    *,
    actual_t=None,
    actual_count=None,
) -> pd.DataFrame:
    """Expected (and actual) cumulative repeat purchases of the cohort at each of ``times``.

    Time is measured from the end of calibration in the model's unit (negative inside the
    calibration period). A customer with calibration age T_i was born at -T_i and contributes
    E[X(T_i + t)] (the new-customer expectation) once T_i + t > 0. ``actual_t`` and
    ``actual_count`` (the timeline from analytics) give the actual cumulative count, the sum of
    counts with time <= t.
    """
    module = purchase_module(result)
    ages, counts = np.unique(np.asarray(T, dtype=float), return_counts=True)
    times = np.asarray(times, dtype=float)
    expected = np.empty(times.shape)
    for i, t in enumerate(times):
        age = ages + t
        live = age > 0
        values = np.asarray(module.expected_purchases(result.params, age[live]), dtype=float)
        expected[i] = float(counts[live] @ values)
    table = pd.DataFrame({"t": times, "expected": expected})
    if actual_t is not None:
        at, ac = arrays(actual_t, actual_count)
        order = np.argsort(at, kind="stable")
        at, cum = at[order], np.cumsum(ac[order])
        idx = np.searchsorted(at, times, side="right")
        table["actual"] = np.where(idx > 0, cum[np.maximum(idx - 1, 0)], 0.0)
    return table
