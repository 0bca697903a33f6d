"""The customer process: latent traits, BG/NBD purchase times, gamma-gamma spend, and orders.

For one block of customers, all vectorised (no loop over customers or orders):

* acquisition time t₀ by stratified inverse-CDF sampling of the acquisition curve, so customer
  numbers follow signup order: customer i of N sits at quantile (i + U)/N;
* λ ~ Gamma(r, α) per week, p ~ Beta(a, b), J ~ Geometric(p) = the repeat purchase after which
  the customer drops out (Fader, Hardie & Lee 2005, assumptions i–v);
* in operational time the repeat purchases are a Poisson(λ) process on (τ₀, τ_end]: its count
  N ~ Poisson(λ(τ_end − τ₀)) and, given N, the times are sorted uniforms, of which the first
  x = min(J, N) happen; the k-th of N sorted uniforms is S_k / S_{N+1} with S the partial sums
  of unit exponentials, so only x exponentials and one Gamma(N + 1 − x) draw are needed;
* ν ~ Gamma(q, γ), net spend per purchase z ~ Gamma(p, ν) (Fader, Hardie & Lee 2005b).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from holdfast.simulate.clock import US_PER_DAY, US_PER_SECOND, Clock
from holdfast.simulate.config import SimulationConfig

COMPLETED, CANCELLED, REFUNDED = 0, 1, 2
STATUSES = ("completed", "cancelled", "refunded")
PARTIAL_REFUND_SHARE = (0.05, 0.5)  # share of the gross amount refunded, uniform
FAILED_ORDER_LAG_US = (60 * US_PER_SECOND, 3 * US_PER_DAY)  # after the purchase, uniform
MIN_CENTS = 1


@dataclass(frozen=True)
class Latent:
    """Per-customer draws of one block (arrays of the block's length)."""

    buyer: np.ndarray  # bool: places orders at all
    lam: np.ndarray  # purchase rate per week
    p: np.ndarray  # dropout probability after each repeat purchase
    nu: np.ndarray  # gamma-gamma scale: expected spend = p_gg / nu
    j: np.ndarray  # drops out right after repeat purchase number j
    subscriber: np.ndarray  # bool
    theta: np.ndarray  # monthly churn probability (meaningful for subscribers)
    acquired_us: np.ndarray  # first purchase (or signup for non-buyers), int64 µs
    op_start: np.ndarray  # Λ(acquired), days
    horizon_days: np.ndarray  # Λ(end) − Λ(acquired), days of operational time


def draw_latent(
    rng: np.random.Generator, config: SimulationConfig, first: int, n: int, total: int, clock: Clock
) -> Latent:
    """Latent traits for customers ``first`` … ``first + n − 1`` (0-based) of ``total``."""
    m, g, s = config.bgnbd, config.gamma_gamma, config.sbg
    u_acq = rng.random(n)
    buyer = rng.random(n) >= config.non_buyer_share
    lam = rng.gamma(m.r, 1.0 / m.alpha, n)
    p = np.clip(rng.beta(m.a, m.b, n), 1e-12, 1.0)
    nu = rng.gamma(g.q, 1.0 / g.gamma, n)
    j = rng.geometric(p)
    subscriber = buyer & (rng.random(n) < config.subscriber_share)
    theta = np.clip(rng.beta(s.alpha, s.beta, n), 1e-12, 1.0)
    acquired = clock.acquisition_time((first + np.arange(n) + u_acq) / total)
    op_start = clock.to_operational(acquired.astype(np.float64))
    horizon = np.maximum(clock.op_end - op_start, 0.0)
    return Latent(buyer, lam, p, nu, j, subscriber, theta, acquired, op_start, horizon)


@dataclass(frozen=True)
class Purchases:
    """The BG/NBD purchases of one block, ordered by customer then time."""

    customer: np.ndarray  # local customer index
    time_us: np.ndarray  # int64
    repeats: np.ndarray  # per customer: x, the number of repeat purchases in the period
    dropped: np.ndarray  # per customer: dropped out within the period
    dropout_us: np.ndarray  # per customer: time of the last purchase if dropped, else -1


def draw_purchases(rng: np.random.Generator, latent: Latent, clock: Clock) -> Purchases:
    """First purchase at acquisition plus x = min(J, N) repeat purchases per buyer."""
    n = len(latent.lam)
    rate = latent.lam * latent.horizon_days / 7.0 * latent.buyer
    count = rng.poisson(rate)
    repeats = np.where(latent.buyer, np.minimum(latent.j, count), 0)
    dropped = latent.buyer & (latent.j <= count)
    tail = rng.standard_gamma((count - repeats + 1).astype(np.float64))
    gaps = rng.standard_exponential(int(repeats.sum()))
    owner = np.repeat(np.arange(n), repeats)
    csum = np.concatenate([[0.0], np.cumsum(gaps)])
    begin = np.cumsum(repeats) - repeats
    partial = csum[1:] - csum[begin][owner]
    last = csum[begin + repeats] - csum[begin]
    fraction = partial / (last + tail)[owner]
    op_repeat = latent.op_start[owner] + latent.horizon_days[owner] * fraction
    repeat_us = clock.to_calendar(op_repeat)
    buyers = np.flatnonzero(latent.buyer)
    customer = np.concatenate([buyers, owner])
    time_us = np.concatenate([latent.acquired_us[buyers], repeat_us])
    order = np.lexsort((time_us, customer))
    customer, time_us = customer[order], time_us[order]
    dropout = np.full(n, -1, dtype=np.int64)
    with_repeats = repeats > 0
    last_index = np.cumsum(repeats) - 1
    last_repeat = np.full(n, -1, dtype=np.int64)
    last_repeat[with_repeats] = repeat_us[last_index[with_repeats]]
    dropout[dropped] = last_repeat[dropped]
    return Purchases(customer, time_us, repeats, dropped, dropout)


@dataclass(frozen=True)
class Orders:
    """All orders of one block (purchases and failed orders), sorted by time."""

    customer: np.ndarray  # local customer index
    time_us: np.ndarray
    amount_cents: np.ndarray  # gross
    refunded_cents: np.ndarray
    status: np.ndarray  # int8: COMPLETED, CANCELLED, REFUNDED
    net_cents: np.ndarray  # amount − refunded for purchases, 0 otherwise


def draw_orders(
    rng: np.random.Generator,
    config: SimulationConfig,
    latent: Latent,
    purchases: Purchases,
    clock: Clock,
) -> Orders:
    """Spend, partial refunds, and cancelled or refunded follow-up orders.

    A purchase's *net* amount is the gamma-gamma draw; a partially refunded purchase has a
    gross amount of net / (1 − f). With probability cancel_rate (refund_rate) a purchase is
    followed within three days by an extra order that is cancelled (fully refunded): these are
    not purchases, so the purchase stream stays exactly BG/NBD.
    """
    k = len(purchases.customer)
    nu = latent.nu[purchases.customer]
    shape = config.gamma_gamma.p
    net = _cents(rng.gamma(shape, 1.0 / nu))
    partial = rng.random(k) < config.partial_refund_rate
    share = rng.uniform(*PARTIAL_REFUND_SHARE, k)
    gross = np.where(partial, np.maximum(net + 1, np.rint(net / (1.0 - share))), net)
    gross = gross.astype(np.int64)
    v = rng.random(k)
    lag = rng.integers(*FAILED_ORDER_LAG_US, k)
    failed_amount = _cents(rng.gamma(shape, 1.0 / nu))
    failed_status = np.where(v < config.cancel_rate, CANCELLED, REFUNDED)
    failed_time = purchases.time_us + lag
    failed_time -= failed_time % US_PER_SECOND
    extra = (v < config.cancel_rate + config.refund_rate) & (failed_time < clock.end_us)

    customer = np.concatenate([purchases.customer, purchases.customer[extra]])
    time_us = np.concatenate([purchases.time_us, failed_time[extra]])
    amount = np.concatenate([gross, failed_amount[extra]])
    status = np.concatenate([np.zeros(k, np.int8), failed_status[extra].astype(np.int8)])
    refunded = np.concatenate(
        [gross - net, np.where(status[k:] == REFUNDED, failed_amount[extra], 0)]
    )
    net_all = np.concatenate([net, np.zeros(int(extra.sum()), np.int64)])
    order = np.lexsort((customer, time_us))
    return Orders(
        customer=customer[order],
        time_us=time_us[order],
        amount_cents=amount[order],
        refunded_cents=refunded[order],
        status=status[order],
        net_cents=net_all[order],
    )


def _cents(value: np.ndarray) -> np.ndarray:
    return np.maximum(np.rint(value * 100.0), MIN_CENTS).astype(np.int64)
