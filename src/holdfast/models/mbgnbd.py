"""MBG/NBD model (Batislam, Denizel & Filiztekin 2007, "Empirical validation and comparison of
models for customer base analysis", IJRM 24(3)).

The BG/NBD with one change: a customer may also drop out right after the first purchase, so
customers without repeat purchases are not all taken to be alive. Same input and parameter
names (r, alpha, a, b) as :mod:`holdfast.models.bgnbd`:

    frequency x, recency t_x, T (time from the first purchase to the end of observation)

>>> result = ModifiedBetaGeo().fit(frequency, recency, T)   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy.special import betainc, betaln, expit, gammaln, hyp2f1

from holdfast.models._bgfamily import BGFamilyLikelihood, finite_or_quadrature, loglik_rows
from holdfast.models._common import arrays, out, read_params
from holdfast.models._purchase import fit_purchase_model
from holdfast.models.bgnbd import _bridge_a1, lomax_quantile
from holdfast.models.result import FitResult

NAMES = ("r", "alpha", "a", "b")
MODEL = "MBG/NBD"


class ModifiedBetaGeo:
    """MBG/NBD fitter; ``penalizer`` as for :class:`holdfast.models.bgnbd.BetaGeo`."""

    name = MODEL
    param_names = NAMES

    def __init__(self, penalizer: float = 0.0):
        self.penalizer = penalizer

    def fit(
        self, frequency: object, recency: object, T: object, weights: object = None
    ) -> FitResult:
        """Maximum-likelihood fit; ``weights`` count identical customers."""
        return fit_purchase_model(
            model=MODEL,
            names=NAMES,
            rate_params=("alpha",),
            make_likelihood=lambda x, tx, t, w: BGFamilyLikelihood(x, tx, t, w, modified=True),
            frequency=frequency,
            recency=recency,
            T=T,
            weights=weights,
            penalizer=self.penalizer,
        )


def loglik(params: Mapping[str, float], frequency, recency, T) -> np.ndarray | float:
    """Per-customer log-likelihood: B(a, b+x+1)/B(a,b) G(r+x) alpha^r / G(r) [(alpha+T)^-(r+x)
    + a/(b+x) (alpha+t_x)^-(r+x)], in logs; they sum to FitResult.loglik."""
    r, al, a, b = read_params(params, NAMES)
    x, tx, t = arrays(frequency, recency, T)
    return out(loglik_rows(r, al, a, b, x, tx, t, modified=True))


def _drop_odds(r, al, a, b, x, tx, t):
    return np.log(a) - np.log(b + x) + (r + x) * (np.log(al + t) - np.log(al + tx))


def p_alive(params: Mapping[str, float], frequency, recency, T, t=0.0) -> np.ndarray | float:
    """P(alive at T + t | x, t_x, T) = 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)) now;
    for t > 0 times E[exp(-lambda p t)] with p ~ Beta(a, b+x+1) given alive, which is
    (1+u)^(-a) 2F1(a+b+1-r, a; a+b+x+1; u/(1+u)), u = t/(alpha+T)."""
    r, al, a, b = read_params(params, NAMES)
    x, tx, age, t = arrays(frequency, recency, T, t)
    now = expit(-_drop_odds(r, al, a, b, x, tx, age))
    u = t / (al + age)
    later = np.exp(-a * np.log1p(u)) * hyp2f1(a + b + 1.0 - r, a, a + b + x + 1.0, u / (1.0 + u))
    return out(np.where(t > 0, now * later, now))


def expected_purchases(params: Mapping[str, float], t) -> np.ndarray | float:
    """E[X(t)] = b/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))] (Batislam et
    al. 2007), evaluated in the Euler-transformed form (1-z)^(a-1) 2F1(a+b-r, a-1; a+b; z)."""
    r, al, a, b = read_params(params, NAMES)
    (t,) = arrays(t)

    def value(a_: float) -> np.ndarray:
        z = t / (al + t)
        f = np.exp((a_ - 1.0) * np.log1p(-z)) * hyp2f1(a_ + b - r, a_ - 1.0, a_ + b, z)
        return b / (a_ - 1.0) * (1.0 - f)

    with np.errstate(all="ignore"):
        closed = _bridge_a1(value, a)
    # alive after the first purchase with probability b/(a+b), then p ~ Beta(a, b+1)
    fallback = finite_or_quadrature(closed * (a + b) / b, r, t / al, a, b + 1.0)
    return out(fallback * b / (a + b))


def conditional_expected_purchases(
    params: Mapping[str, float], t, frequency, recency, T
) -> np.ndarray | float:
    """E[Y(t) | x, t_x, T] = (a+b+x)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x)
    2F1(r+x, b+x+1; a+b+x; z)] P(alive), with the Euler-transformed 2F1 as for the BG/NBD:
    P(alive) times :func:`expected_given_alive`."""
    r, al, a, b = read_params(params, NAMES)
    t, x, tx, age = arrays(t, frequency, recency, T)
    alive = expit(-_drop_odds(r, al, a, b, x, tx, age))
    return out(_given_alive(r, al, a, b, t, x, age) * alive)


def expected_given_alive(params: Mapping[str, float], t, frequency, T) -> np.ndarray | float:
    """E[Y(t) | alive at T, x, T]: a living customer's expected repeat purchases in the next t
    (independent of t_x: a forecast needs it once per (x, T))."""
    r, al, a, b = read_params(params, NAMES)
    t, x, age = arrays(t, frequency, T)
    return out(_given_alive(r, al, a, b, t, x, age))


def _given_alive(r, al, a, b, t, x, age) -> np.ndarray:
    def value(a_: float) -> np.ndarray:
        z = t / (al + age + t)
        f = np.exp((a_ - 1.0) * np.log1p(-z)) * hyp2f1(a_ + b - r, a_ - 1.0, a_ + b + x, z)
        return (a_ + b + x) / (a_ - 1.0) * (1.0 - f)

    with np.errstate(all="ignore"):
        closed = _bridge_a1(value, a)
    return finite_or_quadrature(closed, r + x, t / (al + age), a, b + x + 1.0)


def probability_of_purchases(params: Mapping[str, float], t, n) -> np.ndarray | float:
    """P(X(t) = n) for a new customer: alive after n+1 dropout chances with n purchases, or
    dropped right after the n-th purchase (at time 0 when n = 0):
    B(a, b+n+1)/B(a,b) NB(n) + B(a+1, b+n)/B(a,b) P(NB >= n)."""
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
        alive = np.exp(betaln(a, b + n + 1.0) - betaln(a, b) + log_nb)
        tail = np.where(n > 0, betainc(np.maximum(n, 1.0), r, t / (al + t)), 1.0)
        dropped = np.exp(betaln(a + 1.0, b + n) - betaln(a, b)) * tail
    return out(alive + dropped)


def next_purchase_time(
    params: Mapping[str, float], frequency, recency, T, quantile: float = 0.5
) -> np.ndarray | float:
    """Quantile (default median) of the wait to the next purchase for a customer alive at T
    (Lomax(r+x, alpha+T), as for the BG/NBD)."""
    r, al, _, _ = read_params(params, NAMES)
    x, _, age = arrays(frequency, recency, T)
    return out(lomax_quantile(r + x, al + age, quantile))
