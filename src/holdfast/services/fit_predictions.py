"""Every customer's predictions from a fitted purchase model and the Gamma-Gamma spend model.

One row per customer (:data:`PREDICTION_COLUMNS`, defined in docs/models.md, "holdfast fit"):
P(alive) now, expected purchases, spend per order, revenue and discounted value over the
horizon, and the expected next-order date. The purchase model's functions run once per distinct
(frequency, recency, T), so a million customers with day-level data cost a fraction of that.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from holdfast.models import FitResult, gammagamma
from holdfast.models.clv import discounted_value, purchase_module

YEAR_DAYS = 365.25
MONTH_DAYS = YEAR_DAYS / 12.0
#: Next-order dates further out than this are left empty (the customer is, in effect, gone).
NEXT_ORDER_YEARS = 100

PREDICTION_COLUMNS = (
    "customer_id",
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "p_alive",
    "expected_purchases",
    "expected_spend",
    "expected_revenue",
    "predicted_clv",
    "next_order_date",
)


def discount_steps(horizon: float, unit_days: float, annual_rate: float) -> tuple[float, float]:
    """(period length in units, discount rate per period): monthly steps over the horizon (at
    least one), the annual rate compounded to the step length."""
    steps = max(1, round(horizon * unit_days / MONTH_DAYS))
    period = horizon / steps
    rate = (1.0 + annual_rate) ** (period * unit_days / YEAR_DAYS) - 1.0
    return period, rate


def by_customer(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` sorted by its ``customer_id`` strings, renumbered. The summaries come sorted
    from the database, which is checked in one vectorised comparison; otherwise Arrow sorts
    the ids (UTF-8 byte order is code point order, as for str)."""
    ids = pa.array(frame["customer_id"].astype(str))
    if len(ids) < 2 or pc.all(pc.less(ids.slice(0, len(ids) - 1), ids.slice(1))).as_py():
        return frame.reset_index(drop=True)
    return frame.take(pc.sort_indices(ids).to_numpy()).reset_index(drop=True)


def _distinct(frame: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(codes, first row of each distinct combination): predictions run once per combination."""
    codes = frame.groupby(columns, sort=False).ngroup().to_numpy()
    first = np.empty(int(codes.max()) + 1 if codes.size else 0, dtype=np.int64)
    first[codes[::-1]] = np.arange(codes.size)[::-1]
    return codes, first


def _cumulative_purchases(
    module: object,
    params: Mapping[str, float],
    x: np.ndarray,
    tx: np.ndarray,
    age: np.ndarray,
    alive: np.ndarray,
) -> Callable[[float], np.ndarray]:
    """t -> E[Y(t) | x, t_x, T] for distinct (frequency, recency, T) rows with P(alive)
    ``alive``.

    Where the model splits it into P(alive) times the expectation given alive, the latter,
    which does not depend on recency, is computed once per distinct (frequency, T): a
    monthly discounted value needs it a dozen times, and there are far fewer such pairs.
    """
    given = getattr(module, "expected_given_alive", None)
    if given is None:
        return lambda t: np.atleast_1d(
            module.conditional_expected_purchases(params, t, x, tx, age)  # type: ignore[attr-defined]
        )
    pair_of, pair_first = _distinct(pd.DataFrame({"frequency": x, "T": age}), ["frequency", "T"])
    px, page = x[pair_first], age[pair_first]
    return lambda t: np.atleast_1d(given(params, t, px, page))[pair_of] * alive


def predict_customers(
    purchase: FitResult,
    spend: FitResult | None,
    summary: pd.DataFrame,
    *,
    horizon: float,
    unit_days: float,
    as_of: dt.date,
    discount_rate: float,
    diagnostics: list[str] | None = None,
) -> pd.DataFrame:
    """One row per summary row, sorted by customer_id (columns :data:`PREDICTION_COLUMNS`).

    ``summary``: customer_id, frequency, recency, T (in the model's unit), monetary_value.
    ``horizon`` is in the model's unit, ``unit_days`` its length in days, ``discount_rate`` per
    year. Spend, revenue and value are NaN when ``spend`` is None. A note is appended to
    ``diagnostics`` when some purchase predictions are not finite.
    """
    module = purchase_module(purchase)
    params = purchase.params
    codes, first = _distinct(summary, ["frequency", "recency", "T"])
    x, tx, age = (summary[c].to_numpy(dtype=float)[first] for c in ("frequency", "recency", "T"))

    def per_row(values: object) -> np.ndarray:
        return np.atleast_1d(np.asarray(values, dtype=float))[codes]

    alive_once = np.atleast_1d(np.asarray(module.p_alive(params, x, tx, age), dtype=float))
    alive = alive_once[codes]
    cumulative = _cumulative_purchases(module, params, x, tx, age, alive_once)
    expected = per_row(cumulative(horizon))
    period, rate = discount_steps(horizon, unit_days, discount_rate)
    discounted = per_row(
        discounted_value(
            cumulative,
            np.ones(x.shape),
            horizon=period * round(horizon / period),
            period=period,
            discount_rate=rate,
        )
    )
    wait = per_row(module.next_purchase_time(params, x, tx, age)) * unit_days
    n = len(summary)
    spend_each = np.full(n, math.nan)
    if spend is not None:
        spend_each = np.asarray(
            gammagamma.conditional_expected_spend(
                spend.params,
                summary["frequency"].to_numpy(dtype=float),
                summary["monetary_value"].to_numpy(dtype=float),
            ),
            dtype=float,
        ).reshape(n)
    finite = np.isfinite(alive) & np.isfinite(expected) & np.isfinite(discounted)
    if not finite.all():
        alive, expected, discounted = (
            np.where(finite, v, math.nan) for v in (alive, expected, discounted)
        )
        if diagnostics is not None:
            diagnostics.append(
                f"{purchase.model}: {int((~finite).sum()):,} customer(s) got predictions that "
                "are not finite numbers; they are left empty"
            )
    far = ~(wait < NEXT_ORDER_YEARS * YEAR_DAYS)
    start = np.datetime64(as_of, "D")
    next_date = start + np.ceil(np.where(far, 0.0, wait)).astype("timedelta64[D]")
    frame = pd.DataFrame(
        {
            "customer_id": summary["customer_id"].astype(str).array,
            "frequency": summary["frequency"].to_numpy(dtype=np.int64),
            "recency": summary["recency"].to_numpy(dtype=float),
            "T": summary["T"].to_numpy(dtype=float),
            "monetary_value": summary["monetary_value"].to_numpy(dtype=float),
            "p_alive": alive,
            "expected_purchases": expected,
            "expected_spend": spend_each,
            "expected_revenue": expected * spend_each,
            "predicted_clv": discounted * spend_each,
            "next_order_date": pd.Series(next_date).where(~far),
        }
    )
    return by_customer(frame)
