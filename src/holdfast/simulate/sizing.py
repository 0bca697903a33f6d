"""How many customers give a target number of orders: the expected orders per customer.

A buyer acquired with operational horizon T (weeks) makes 1 + min(J, N) purchases, with
N ~ NBD(r, α/(α + T)) and P(J ≥ k) = E[(1 − p)^(k−1)] = B(a, b + k − 1) / B(a, b), so

    E[min(J, N)] = Σ_{k≥1} P(J ≥ k) · P(N ≥ k).

Averaged over the acquisition curve, times the buyer share and (1 + cancel + refund rates)
for the failed follow-up orders, this is the expected number of order rows per customer.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betainc, betaln

from holdfast.errors import UserError
from holdfast.simulate.clock import Clock
from holdfast.simulate.config import DEFAULT_CUSTOMERS, MAX_CUSTOMERS, SimulationConfig

QUANTILES = 64
TAIL = 1e-12
CHUNK = 256  # terms of the sum per step
MAX_TERMS = 1 << 20  # beyond a million expected purchases the sum is cut (approximate sizing)


def expected_repeats(
    horizon_weeks: np.ndarray, r: float, alpha: float, a: float, b: float
) -> np.ndarray:
    """E[min(J, N)]: expected repeat purchases within each horizon (weeks), BG/NBD."""
    horizon = np.atleast_1d(np.asarray(horizon_weeks, dtype=np.float64))
    grow = horizon / (alpha + horizon)  # N ~ NBD: P(N ≥ k) = I_grow(k, r)
    total = np.zeros_like(horizon)
    for first in range(1, MAX_TERMS + 1, CHUNK):
        k = np.arange(first, first + CHUNK, dtype=np.float64)
        survive = np.exp(betaln(a, b + k - 1) - betaln(a, b))
        total += (betainc(k[None, :], r, grow[:, None]) * survive[None, :]).sum(axis=1)
        if betainc(k[-1], r, grow.max()) < TAIL:
            break
    return total


def orders_per_customer(config: SimulationConfig, clock: Clock) -> float:
    """Expected order rows per customer under ``config``."""
    q = (np.arange(QUANTILES) + 0.5) / QUANTILES
    acquired = clock.acquisition_time(q).astype(np.float64)
    horizon = (clock.op_end - clock.to_operational(acquired)) / 7.0
    m = config.bgnbd
    purchases = 1.0 + expected_repeats(horizon, m.r, m.alpha, m.a, m.b).mean()
    buyers = 1.0 - config.non_buyer_share
    return buyers * purchases * (1.0 + config.cancel_rate + config.refund_rate)


def customers_for(config: SimulationConfig, clock: Clock) -> int:
    """The number of customers of the shop ``config`` describes."""
    if config.customers is not None:
        return config.customers
    if config.orders is None:
        return DEFAULT_CUSTOMERS
    if config.orders == 0:
        return 0
    per_customer = orders_per_customer(config, clock)
    if per_customer <= 0:
        raise UserError("these settings give no orders (non_buyer_share is 1)")
    customers = max(1, round(config.orders / per_customer))
    if customers > MAX_CUSTOMERS:
        raise UserError(
            f"{config.orders:,} orders would need more than {MAX_CUSTOMERS:,} customers"
        )
    return customers
