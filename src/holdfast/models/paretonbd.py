"""Pareto/NBD model of repeat purchasing (Schmittlein, Morrison & Colombo 1987; formulas from
Fader & Hardie 2005, "A Note on Deriving the Pareto/NBD Model and Related Expressions", note 009).

While alive a customer buys at Poisson rate lambda ~ Gamma(r, alpha) and dies at an exponential
time with rate mu ~ Gamma(s, beta). Input, one row per customer (time in any one unit):

    frequency  x    repeat purchases        recency  t_x  time of the last one (0 if x = 0)
    T               time from the first purchase to the end of observation

>>> result = ParetoNBD().fit(frequency, recency, T)                 # doctest: +SKIP
>>> p_alive(result.params, frequency, recency, T)                    # doctest: +SKIP

Predictions are pure functions of ``params`` (r, alpha, s, beta) and the data.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy import integrate
from scipy.special import gammaln

from holdfast.models._common import arrays, one_minus_pow_over, out, read_params
from holdfast.models._pareto_lik import ParetoLikelihood, _Endpoints, row_terms
from holdfast.models._purchase import fit_purchase_model
from holdfast.models.bgnbd import lomax_quantile
from holdfast.models.result import FitResult

NAMES = ("r", "alpha", "s", "beta")
MODEL = "Pareto/NBD"


class ParetoNBD:
    """Pareto/NBD fitter; ``penalizer`` as for :class:`holdfast.models.bgnbd.BetaGeo`."""

    name = MODEL
    param_names = NAMES

    def __init__(self, penalizer: float = 0.0):
        self.penalizer = penalizer

    def fit(
        self, frequency: object, recency: object, T: object, weights: object = None
    ) -> FitResult:
        """Maximum-likelihood fit (note 009, eqs. 18-20); ``weights`` count identical customers."""
        return fit_purchase_model(
            model=MODEL,
            names=NAMES,
            rate_params=("alpha", "beta"),
            make_likelihood=ParetoLikelihood,
            frequency=frequency,
            recency=recency,
            T=T,
            weights=weights,
            penalizer=self.penalizer,
        )


def _log_terms(params: Mapping[str, float], frequency, recency, T):
    r, al, s, be = read_params(params, NAMES)
    x, tx, age = arrays(frequency, recency, T)
    shape = x.shape
    x, tx, age = (v.ravel() for v in (x, tx, age))
    b, _ = row_terms(r, al, s, be, x, tx, age, _Endpoints(x, tx), _Endpoints(x, age), grad=False)
    log_a0 = -(r + x) * np.log(al + age) - s * np.log(be + age)
    return (
        (r, al, s, be),
        x.reshape(shape),
        age.reshape(shape),
        b.reshape(shape),
        log_a0.reshape(shape),
    )


def loglik(params: Mapping[str, float], frequency, recency, T) -> np.ndarray | float:
    """Per-customer log-likelihood (note 009, eqs. 18-20); they sum to FitResult.loglik."""
    (r, al, s, be), x, _, b, _ = _log_terms(params, frequency, recency, T)
    return out(gammaln(r + x) - gammaln(r) + r * np.log(al) + s * np.log(be) + b)


def p_alive(params: Mapping[str, float], frequency, recency, T, t=0.0) -> np.ndarray | float:
    """P(alive at T + t | x, t_x, T) (note 009, eqs. 36-37; times ((beta+T)/(beta+T+t))^s, the
    chance that a customer alive at T, with mu ~ Gamma(s, beta+T), survives t more)."""
    (_, _, s, be), _, age, b, log_a0 = _log_terms(params, frequency, recency, T)
    (t,) = arrays(t)
    return out(np.exp(log_a0 - b - s * np.log1p(t / (be + age))))


def expected_purchases(params: Mapping[str, float], t) -> np.ndarray | float:
    """E[X(t)] = r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)] (note 009, eq. 27);
    the limit r beta/alpha ln(1 + t/beta) at s = 1."""
    r, al, s, be = read_params(params, NAMES)
    (t,) = arrays(t)
    return out(r * be / al * one_minus_pow_over(-np.log1p(t / be), s - 1.0))


def conditional_expected_purchases(
    params: Mapping[str, float], t, frequency, recency, T
) -> np.ndarray | float:
    """E[Y(t) | x, t_x, T] (note 009, eq. 41): P(alive) (r+x)(beta+T)/((alpha+T)(s-1))
    [1 - ((beta+T)/(beta+T+t))^(s-1)]."""
    (r, al, s, be), x, age, b, log_a0 = _log_terms(params, frequency, recency, T)
    (t,) = arrays(t)
    alive = np.exp(log_a0 - b)
    rate = (r + x) * (be + age) / (al + age)
    return out(alive * rate * one_minus_pow_over(-np.log1p(t / (be + age)), s - 1.0))


def probability_of_purchases(params: Mapping[str, float], t, n) -> np.ndarray | float:
    """P(X(t) = n) for a new customer (Fader & Hardie 2006, note 013).

    = NB(n; r, alpha/(alpha+t)) (beta/(beta+t))^s
      + s alpha^r beta^s G(r+n)/(G(r) n!) int_0^t y^n (alpha+y)^-(r+n) (beta+y)^-(s+1) dy:
    alive throughout, or dead at y having bought n times before. The integral is done by
    adaptive quadrature (the note's closed form needs 2F1 sums that lose digits for large n).
    """
    r, al, s, be = read_params(params, NAMES)
    t, n = arrays(t, n)
    result = np.empty(t.shape)
    for idx in np.ndindex(t.shape):
        result[idx] = _pmf_one(r, al, s, be, float(t[idx]), float(n[idx]))
    return out(result)


def _pmf_one(r, al, s, be, t, n):
    if t <= 0:
        return 1.0 if n == 0 else 0.0
    log_nb = gammaln(r + n) - gammaln(r) - gammaln(n + 1.0)
    alive = np.exp(
        log_nb
        + r * np.log(al / (al + t))
        + (n * np.log(t / (al + t)) if n > 0 else 0.0)
        + s * np.log(be / (be + t))
    )
    const = np.log(s) + s * np.log(be) + r * np.log(al) + log_nb

    def integrand(y: float) -> float:
        ly = n * np.log(y) if n > 0 else 0.0
        return np.exp(const + ly - (r + n) * np.log(al + y) - (s + 1.0) * np.log(be + y))

    died, _ = integrate.quad(integrand, 0.0, t, epsabs=0.0, epsrel=1e-12, limit=200)
    return alive + died


def next_purchase_time(
    params: Mapping[str, float], frequency, recency, T, quantile: float = 0.5
) -> np.ndarray | float:
    """Quantile (default median) of the wait from T to the next purchase of a customer alive at
    T: given alive, lambda ~ Gamma(r+x, alpha+T), so the wait is Lomax(r+x, alpha+T)."""
    r, al, _, _ = read_params(params, NAMES)
    x, _, age = arrays(frequency, recency, T)
    return out(lomax_quantile(r + x, al + age, quantile))
