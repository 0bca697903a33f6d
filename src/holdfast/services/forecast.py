"""The report's "What comes next" section: fit BG/NBD and Gamma-Gamma on the report's data and
present every customer's forecast in a few small tables.

The defaults are fixed so reports compare: weeks, a one-year horizon, 10 % a year discount,
and, when the data spans at least eight weeks, a holdout check on its later half (a year at
most). When the data cannot support a fit the section stays in the report as one sentence
saying why (and ``null`` in the JSON document).
"""

from __future__ import annotations

import datetime as dt

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from holdfast.errors import UserError
from holdfast.models.diagnostics import MIN_REPEAT_BUYERS
from holdfast.report.forecast import ForecastSection, ForecastView
from holdfast.services.fitting import FitOptions, FitOutcome, fit_purchases, purchase_bounds

#: Top customers shown in the report.
TOP_CUSTOMERS = 10
#: Shortest span of data (days) for which the report runs a holdout check, and its longest
#: holdout.
MIN_CHECK_DAYS = 56
MAX_HOLDOUT_DAYS = 365
#: Holdout errors beyond this many purchases are counted together in the end bars.
ERROR_LIMIT = 5


def forecast_for_report(
    purchases: ir.Table, *, as_of: dt.date, currency: str | None
) -> ForecastSection:
    """The "What comes next" section for purchase occasions up to ``as_of``.

    ``purchases`` is the transactions relation (:func:`holdfast.analytics.transactions.
    transactions`). The section is absent, with the reason, when fewer than 20 customers
    bought twice or the fit did not converge.
    """
    try:
        first, _ = purchase_bounds(purchases.filter(purchases.order_date <= as_of))
        options = FitOptions(as_of=as_of, calibration_end=report_calibration_end(first, as_of))
        outcome = fit_purchases(
            purchases, options, min_repeat_buyers=MIN_REPEAT_BUYERS, check_optional=True
        )
    except UserError as error:
        return ForecastSection(None, absent=f"No forecast: {str(error).rstrip('.')}.")
    if not outcome.purchase.converged:
        reason = "; ".join(outcome.purchase.messages) or "it did not converge"
        return ForecastSection(
            None,
            absent=f"No forecast: the {outcome.purchase.model} model could not be fitted "
            f"reliably ({reason}).",
        )
    return ForecastSection(forecast_view(outcome, currency))


def report_calibration_end(first: dt.date, as_of: dt.date) -> dt.date | None:
    """Hold out the later half of the data, a year at most; None for less than eight weeks."""
    span = (as_of - first).days
    if span < MIN_CHECK_DAYS:
        return None
    return as_of - dt.timedelta(days=min(MAX_HOLDOUT_DAYS, span // 2))


def forecast_view(outcome: FitOutcome, currency: str | None) -> ForecastView:
    """The report's view of a fit: totals, P(alive) bands, top customers, the holdout check."""
    options, v = outcome.options, outcome.validation
    holdout = None
    if v is not None:
        holdout = {
            "calibration_end": v.calibration_end,
            "holdout_end": v.holdout_end,
            "customers": v.summary["customers"],
            "actual_total": v.summary["actual_total"],
            "predicted_total": v.summary["predicted_total"],
            "mae": v.summary["mae"],
            "rmse": v.summary["rmse"],
            "correlation": v.summary["correlation"],
        }
    loglik = {outcome.purchase.model: outcome.purchase.loglik}
    if outcome.spend is not None:
        loglik[outcome.spend.model] = outcome.spend.loglik
    return ForecastView(
        model=outcome.purchase.model,
        unit=options.unit_name,
        horizon=outcome.horizon,
        as_of=outcome.as_of,
        currency=currency,
        discount_rate=options.discount_rate,
        totals=outcome.totals(),
        parameters=outcome.parameters,
        alive_bands=alive_bands(outcome.predictions),
        top_customers=top_customers(outcome.predictions, TOP_CUSTOMERS),
        diagnostics=tuple(outcome.diagnostics),
        tracking=None if v is None else v.tracking,
        by_frequency=None if v is None else v.by_frequency,
        holdout=holdout,
        errors=None if v is None else error_counts(v.per_customer["error"]),
        loglik=loglik,
    )


def alive_bands(predictions: pd.DataFrame) -> pd.DataFrame:
    """Customers, expected purchases and revenue per tenth of P(alive) (10 rows, all kept)."""
    edges = np.linspace(0.0, 1.0, 11)
    band = np.clip(np.floor(predictions["p_alive"].to_numpy() * 10), 0, 9).astype(int)
    grouped = (
        pd.DataFrame(
            {
                "band": band,
                "expected_purchases": predictions["expected_purchases"].to_numpy(),
                "expected_revenue": predictions["expected_revenue"].to_numpy(),
            }
        )
        .groupby("band")
        .agg(
            customers=("band", "size"),
            expected_purchases=("expected_purchases", "sum"),
            expected_revenue=("expected_revenue", lambda s: s.sum(min_count=1)),
        )
        .reindex(range(10))
    )
    return pd.DataFrame(
        {
            "band": [f"{10 * i}–{10 * (i + 1)} %" for i in range(10)],
            "low": edges[:-1],
            "high": edges[1:],
            "customers": grouped["customers"].fillna(0).astype(int).to_numpy(),
            "expected_purchases": grouped["expected_purchases"].fillna(0.0).to_numpy(),
            "expected_revenue": grouped["expected_revenue"].to_numpy(dtype=float),
        }
    )


def top_customers(predictions: pd.DataFrame, n: int) -> pd.DataFrame:
    """The n customers with the highest predicted value (expected purchases without a spend
    model), ties by customer id; next-order dates as dates."""
    key = "predicted_clv" if predictions["predicted_clv"].notna().any() else "expected_purchases"
    # only the rows that can make the top n are sorted (all ties of the n-th value included)
    candidates = predictions.iloc[_top_candidates(predictions[key].to_numpy(dtype=float), n)]
    top = candidates.sort_values([key, "customer_id"], ascending=[False, True], kind="stable")
    top = top.head(n).copy()
    top["next_order_date"] = [
        None if pd.isna(d) else pd.Timestamp(d).date() for d in top["next_order_date"]
    ]
    return top.reset_index(drop=True)


def _top_candidates(values: np.ndarray, n: int) -> np.ndarray:
    """Positions of the rows whose value is at least the n-th largest (NaN rows too, and
    every row, when fewer than n values are numbers)."""
    numbers = np.flatnonzero(~np.isnan(values))
    if n <= 0 or len(numbers) <= n:
        return np.arange(len(values))
    nth = np.partition(values[numbers], len(numbers) - n)[len(numbers) - n]
    return numbers[values[numbers] >= nth]


def error_counts(error: pd.Series, limit: int = ERROR_LIMIT) -> pd.DataFrame:
    """Customers by forecast error rounded to whole purchases, the ends gathered at +-limit
    (every value from -limit to limit is a row, zeros included)."""
    rounded = np.clip(np.rint(error.to_numpy(dtype=float)), -limit, limit).astype(int)
    values = np.arange(-limit, limit + 1)
    counts = np.bincount(rounded + limit, minlength=values.size)
    labels = [str(v) for v in values]
    labels[0], labels[-1] = f"{-limit} or fewer", f"{limit} or more"
    return pd.DataFrame({"error": values, "label": labels, "customers": counts})
