"""BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005, "Counting Your Customers the
Easy Way", Marketing Science 24(2)).

While alive a customer buys at Poisson rate lambda ~ Gamma(r, alpha); after each purchase they
drop out with probability p ~ Beta(a, b). Input, one row per customer (time in any one unit):

    frequency  x    repeat purchases (purchase days after the first)
    recency    t_x  time of the last purchase, measured from the first (0 if x = 0)
    T               time from the first purchase to the end of observation

>>> result = BetaGeo().fit(frequency, recency, T)            # doctest: +SKIP
>>> conditional_expected_purchases(result.params, 39, 2, 30.43, 38.86)  # doctest: +SKIP
1.2259...

Predictions are pure functions of ``params`` (a mapping with r, alpha, a, b) and the data.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy.special import betainc, betaln, expit, gammaln, hyp2f1

from holdfast.errors import UserError
from holdfast.models._bgfamily import BGFamilyLikelihood, finite_or_quadrature, loglik_rows
from holdfast.models._common import arrays, out, read_params
from holdfast.models._purchase import fit_purchase_model
from holdfast.models.result import FitResult

NAMES = ("r", "alpha", "a", "b")
MODEL = "BG/NBD"


class BetaGeo:
    """BG/NBD fitter. ``penalizer`` adds penalizer x sum((log theta)^2) to the mean negative
    log-likelihood, theta the parameters with time rescaled so the largest T is 1 (0 = plain
    maximum likelihood, the papers' estimates)."""

    name = MODEL
    param_names = NAMES

    def __init__(self, penalizer: float = 0.0):
        self.penalizer = penalizer

    def fit(
        self, frequency: object, recency: object, T: object, weights: object = None
    ) -> FitResult:
        """Maximum-likelihood fit (the paper's likelihood, in logs as in Fader & Hardie's note 004
        on implementing the BG/NBD); ``weights`` count identical customers."""
        return fit_purchase_model(
            model=MODEL,
            names=NAMES,
            rate_params=("alpha",),
            make_likelihood=lambda x, tx, t, w: BGFamilyLikelihood(x, tx, t, w, modified=False),
            frequency=frequency,
            recency=recency,
            T=T,
            weights=weights,
            penalizer=self.penalizer,
        )


def loglik(params: Mapping[str, float], frequency, recency, T) -> np.ndarray | float:
    """Per-customer log-likelihood (FHL 2005, section 3); they sum to FitResult.loglik."""
    r, al, a, b = read_params(params, NAMES)
    x, tx, t = arrays(frequency, recency, T)
    return out(loglik_rows(r, al, a, b, x, tx, t, modified=False))


def _drop_odds(r, al, a, b, x, tx, t):
    """log of a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x), the odds of having dropped out (x>0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.log(a) - np.log(b + x - 1.0) + (r + x) * (np.log(al + t) - np.log(al + tx))
    return np.where(x > 0, d, -np.inf)


def expected_purchases(params: Mapping[str, float], t) -> np.ndarray | float:
    """E[X(t)]: expected repeat purchases of a new customer in (0, t], eq. (9).

    Computed as (a+b-1)/(a-1) [1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b-1; z)], z = t/(alpha+t),
    the Euler transform of eq. (9) that stays finite for large t (Fader & Hardie 2013, "the
    BG/NBD model's #NUM! error problem"). The removable singularity at a = 1 is bridged.
    """
    r, al, a, b = read_params(params, NAMES)
    (t,) = arrays(t)

    def value(a_: float) -> np.ndarray:
        z = t / (al + t)
        f = np.exp((a_ - 1.0) * np.log1p(-z)) * hyp2f1(a_ + b - 1.0 - r, a_ - 1.0, a_ + b - 1.0, z)
        return (a_ + b - 1.0) / (a_ - 1.0) * (1.0 - f)

    with np.errstate(all="ignore"):
        closed = _bridge_a1(value, a)
    return out(finite_or_quadrature(closed, r, t / al, a, b))


def _bridge_a1(value, a: float, h: float = 1e-5):
    """value(a), averaged across a = 1 +- h where (a-1) in a denominator makes it 0/0."""
    if abs(a - 1.0) < h:
        return 0.5 * (value(1.0 - h) + value(1.0 + h))
    return value(a)


def conditional_expected_purchases(
    params: Mapping[str, float], t, frequency, recency, T
) -> np.ndarray | float:
    """E[Y(t) | x, t_x, T]: expected repeat purchases in the next t, eq. (10): P(alive) times
    :func:`expected_given_alive`."""
    r, al, a, b = read_params(params, NAMES)
    t, x, tx, age = arrays(t, frequency, recency, T)
    alive = expit(-_drop_odds(r, al, a, b, x, tx, age))
    return out(_given_alive(r, al, a, b, t, x, age) * alive)


def expected_given_alive(params: Mapping[str, float], t, frequency, T) -> np.ndarray | float:
    """E[Y(t) | alive at T, x, T]: a living customer's expected repeat purchases in the next t.
    It does not depend on t_x, so a forecast of many customers needs it once per (x, T).

    The ratio ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z) is Euler-transformed
    to (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z) so customers with thousands of purchases stay
    finite; where even that fails (extreme parameters) the expectation is integrated
    numerically.
    """
    r, al, a, b = read_params(params, NAMES)
    t, x, age = arrays(t, frequency, T)
    return out(_given_alive(r, al, a, b, t, x, age))


def _given_alive(r, al, a, b, t, x, age) -> np.ndarray:
    def value(a_: float) -> np.ndarray:
        z = t / (al + age + t)
        f = np.exp((a_ - 1.0) * np.log1p(-z)) * hyp2f1(
            a_ + b - 1.0 - r, a_ - 1.0, a_ + b + x - 1.0, z
        )
        return (a_ + b + x - 1.0) / (a_ - 1.0) * (1.0 - f)

    with np.errstate(all="ignore"):
        closed = _bridge_a1(value, a)
    return finite_or_quadrature(closed, r + x, t / (al + age), a, b + x)


def p_alive(params: Mapping[str, float], frequency, recency, T, t=0.0) -> np.ndarray | float:
    """P(alive at T + t | x, t_x, T); t = 0 is "now" (Fader, Hardie & Lee 2008, note 021).

    For t > 0 the customer must also survive the purchases made in (T, T+t]: given alive at T,
    lambda ~ Gamma(r+x, alpha+T) and p ~ Beta(a, b+x), and survival has probability
    E[exp(-lambda p t)] = (1+u)^(-a) 2F1(a+b-r, a; a+b+x; u/(1+u)), u = t/(alpha+T).
    """
    r, al, a, b = read_params(params, NAMES)
    x, tx, age, t = arrays(frequency, recency, T, t)
    now = expit(-_drop_odds(r, al, a, b, x, tx, age))
    u = t / (al + age)
    later = np.exp(-a * np.log1p(u)) * hyp2f1(a + b - r, a, a + b + x, u / (1.0 + u))
    return out(np.where(t > 0, now * later, now))


def probability_of_purchases(params: Mapping[str, float], t, n) -> np.ndarray | float:
    """P(X(t) = n): probability that a new customer makes n repeat purchases in (0, t], eq. (8).

    The sum over j < n in eq. (8) is the negative-binomial tail, computed as the regularized
    incomplete beta function I_{t/(alpha+t)}(n, r).
    """
    r, al, a, b = read_params(params, NAMES)
    t, n = arrays(t, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_nb = (
            gammaln(r + n)
            - gammaln(r)
            - gammaln(n + 1.0)
            + r * np.log(al / (al + t))
            + np.where(n > 0, n * np.log(t / (al + t)), 0.0)
        )
        first = np.exp(betaln(a, b + n) - betaln(a, b) + log_nb)
        tail = betainc(np.maximum(n, 1.0), r, t / (al + t))
        second = np.exp(betaln(a + 1.0, b + n - 1.0) - betaln(a, b)) * tail
    return out(np.where(n > 0, first + second, first))


def next_purchase_time(
    params: Mapping[str, float], frequency, recency, T, quantile: float = 0.5
) -> np.ndarray | float:
    """Time from T until the next purchase of a customer who is still alive (its quantile).

    Given alive at T, lambda ~ Gamma(r+x, alpha+T) and the wait is exponential, so the wait is
    Lomax: P(W > w) = ((alpha+T)/(alpha+T+w))^(r+x). The default is its median. Whether the
    customer is alive at all is a separate number, P(alive) (see docs/models.md).
    """
    r, al, _, _ = read_params(params, NAMES)
    x, _, age = arrays(frequency, recency, T)
    return out(lomax_quantile(r + x, al + age, quantile))


def lomax_quantile(shape: np.ndarray, scale: np.ndarray, quantile: float) -> np.ndarray:
    """w with P(W <= w) = quantile for P(W > w) = (scale/(scale+w))^shape."""
    if not 0.0 < quantile < 1.0:
        raise UserError(f"quantile must be between 0 and 1, got {quantile!r}")
    return scale * np.expm1(-np.log1p(-quantile) / shape)
