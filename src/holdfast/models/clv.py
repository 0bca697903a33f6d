"""Discounted customer lifetime value from a purchase model and the Gamma-Gamma spend model.

Definition (the one lifetimes uses, so the numbers can be checked against it): with a period
of length P (in the purchase model's time unit), K = horizon / P periods and a discount rate d
per period,

    CLV_i = sum_{k=1..K} E[M_i] (E[Y_i(kP)] - E[Y_i((k-1)P)]) / (1 + d)^k,

where E[Y_i(t)] is the customer's conditional expected number of purchases in the next t and
E[M_i] their expected spend per order (Gamma-Gamma, note 025 eq. 5). Purchases in period k are
discounted as if made at its end. Input, one row per customer: frequency, recency, T (as for
the purchase model) and monetary_value (mean repeat-order value, 0 when frequency is 0).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import ModuleType

import numpy as np

from holdfast.errors import UserError
from holdfast.models import bgnbd, gammagamma, mbgnbd, paretonbd
from holdfast.models._common import arrays
from holdfast.models.result import FitResult

#: Purchase models by FitResult.model name.
PURCHASE_MODELS: dict[str, ModuleType] = {
    bgnbd.MODEL: bgnbd,
    mbgnbd.MODEL: mbgnbd,
    paretonbd.MODEL: paretonbd,
}


def purchase_module(result: FitResult) -> ModuleType:
    """The prediction module of a fitted purchase model."""
    try:
        return PURCHASE_MODELS[result.model]
    except KeyError:
        raise UserError(
            f"{result.model} is not a purchase-count model; use one of "
            + ", ".join(PURCHASE_MODELS)
        ) from None


def discounted_value(
    cumulative: Callable[[float], np.ndarray],
    spend: np.ndarray,
    *,
    horizon: float,
    period: float,
    discount_rate: float,
) -> np.ndarray:
    """sum_k spend (cumulative(kP) - cumulative((k-1)P)) / (1+d)^k for k = 1..horizon/P."""
    if not (period > 0 and horizon > 0):
        raise UserError(f"horizon and period must be positive, got {horizon!r} and {period!r}")
    if discount_rate <= -1:
        raise UserError(f"discount_rate must be > -1, got {discount_rate!r}")
    steps = horizon / period
    count = round(steps)
    if abs(steps - count) > 1e-9 * max(1.0, steps):
        raise UserError(f"horizon ({horizon}) must be a whole number of periods ({period})")
    total = np.zeros(np.shape(spend))
    previous = np.zeros(np.shape(spend))
    for k in range(1, count + 1):
        current = np.asarray(cumulative(k * period), dtype=float)
        total += spend * (current - previous) / (1.0 + discount_rate) ** k
        previous = current
    return total


def customer_lifetime_value(
    purchase: FitResult,
    spend: FitResult | Mapping[str, float],
    frequency,
    recency,
    T,
    monetary_value,
    *,
    horizon: float,
    discount_rate: float,
    period: float = 1.0,
) -> np.ndarray:
    """Discounted CLV per customer over ``horizon`` (module docstring for the formula).

    ``period`` and ``horizon`` are in the purchase model's time unit (for weekly data and
    monthly discounting: period=4.345, horizon=52.14 for a year); ``discount_rate`` is per
    period. ``spend`` is a fitted Gamma-Gamma result or its parameters.
    """
    module = purchase_module(purchase)
    spend_params = spend.params if isinstance(spend, FitResult) else spend
    x, tx, age, m = arrays(frequency, recency, T, monetary_value)
    expected_spend = np.asarray(gammagamma.conditional_expected_spend(spend_params, x, m))

    def cumulative(t: float) -> np.ndarray:
        return module.conditional_expected_purchases(purchase.params, t, x, tx, age)

    return discounted_value(
        cumulative, expected_spend, horizon=horizon, period=period, discount_rate=discount_rate
    )
