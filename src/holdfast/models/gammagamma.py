"""Gamma-Gamma model of spend per order (Fader, Hardie & Lee 2005, "RFM and CLV: Using
Iso-Value Curves for Customer Base Analysis", JMR 42(4); Fader & Hardie 2013, "The
Gamma-Gamma Model of Monetary Value", note 025).

A customer's order values are Gamma(p, nu) with nu ~ Gamma(q, gamma) across customers; the
mean of x orders, m_x, has the likelihood (note 025, eq. 1a)

    G(px+q) / (G(px) G(q)) gamma^q m_x^(px-1) x^(px) / (gamma + m_x x)^(px+q).

Input, repeat customers only (frequency > 0), one row each:

    frequency       x    number of orders whose values are averaged (repeat purchases)
    monetary_value  m_x  their mean value (> 0)

>>> result = GammaGamma().fit(frequency, monetary_value)          # doctest: +SKIP
>>> conditional_expected_spend(result.params, 2, 22.35)            # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from scipy.special import digamma, gammaln, polygamma

from holdfast.errors import UserError
from holdfast.models._common import arrays, dot, out, read_params
from holdfast.models._fit import chunks, compress, fit_model, scale_for
from holdfast.models._validate import as_column, check_whole, raise_rows, weights_column
from holdfast.models.result import FitResult

NAMES = ("p", "q", "gamma")
MODEL = "Gamma-Gamma"
#: |correlation| between frequency and spend above which the independence assumption is doubted.
CORRELATION_WARNING = 0.3
STARTS = ((0.0, 0.0, 0.0), (1.0, 1.0, 0.0), (2.0, 1.0, 1.0), (-1.0, 0.5, -1.0))


class GammaGammaLikelihood:
    """Total weighted Gamma-Gamma log-likelihood in log-parameters (p, q, gamma)."""

    analytic_hessian = True

    def __init__(self, x: np.ndarray, m: np.ndarray, w: np.ndarray):
        self.x, self.m, self.w = x, m, w
        self.n_rows = int(w.shape[0])

    def subset(self, rows: np.ndarray, weights: np.ndarray) -> GammaGammaLikelihood:
        return GammaGammaLikelihood(self.x[rows], self.m[rows], weights)

    def evaluate(self, u: np.ndarray, order: int):
        p, q, g = theta = np.exp(u)
        value, grad, hess = 0.0, np.zeros(3), np.zeros((3, 3))
        for start in chunks(self.n_rows):
            sl = slice(start, start + 65536)
            x, m, w = self.x[sl], self.m[sl], self.w[sl]
            px = p * x
            lx, lm = np.log(x), np.log(m)
            gm = g + m * x
            lgm = np.log(gm)
            value += dot(
                w,
                (
                    gammaln(px + q)
                    - gammaln(px)
                    - gammaln(q)
                    + q * math.log(g)
                    + (px - 1.0) * lm
                    + px * lx
                    - (px + q) * lgm
                ),
            )
            d_pq = digamma(px + q)
            grad += [
                dot(w, x * (d_pq - digamma(px) + lm + lx - lgm)),
                dot(w, (d_pq - digamma(q) + math.log(g) - lgm)),
                dot(w, (q / g - (px + q) / gm)),
            ]
            if order >= 2:
                t_pq = polygamma(1, px + q)
                hess[0, 0] += dot(w, x * x * (t_pq - polygamma(1, px)))
                hess[0, 1] += dot(w, (x * t_pq))
                hess[0, 2] -= dot(w, (x / gm))
                hess[1, 1] += dot(w, (t_pq - polygamma(1, q)))
                hess[1, 2] += dot(w, (1.0 / g - 1.0 / gm))
                hess[2, 2] += dot(w, (-q / g**2 + (px + q) / gm**2))
        grad_u = theta * grad
        if order < 2:
            return value, grad_u, None
        hess = np.triu(hess) + np.triu(hess, 1).T
        return value, grad_u, np.outer(theta, theta) * hess + np.diag(grad_u)


class GammaGamma:
    """Gamma-Gamma fitter. ``penalizer`` adds penalizer x sum((log theta)^2) to the mean negative
    log-likelihood, with money rescaled so the largest mean spend is 1."""

    name = MODEL
    param_names = NAMES

    def __init__(self, penalizer: float = 0.0):
        self.penalizer = penalizer

    def fit(self, frequency: object, monetary_value: object, weights: object = None) -> FitResult:
        """Maximum-likelihood fit on repeat customers (note 025, eq. 1a)."""
        if not (math.isfinite(self.penalizer) and self.penalizer >= 0):
            raise UserError(f"penalizer must be a number >= 0, got {self.penalizer!r}")
        x = as_column("frequency", frequency)
        m = as_column("monetary_value", monetary_value, length=x.shape[0])
        w = weights_column(weights, x.shape[0])
        check_whole("frequency", x)
        zero = np.flatnonzero(x < 1)
        if zero.size:
            raise_rows(
                "the Gamma-Gamma model is fitted on repeat customers only; pass the rows with "
                "frequency > 0",
                "frequency",
                zero,
                x,
                "frequency must be at least 1",
            )
        bad = np.flatnonzero(m <= 0)
        if bad.size:
            raise_rows("monetary_value must be positive", "monetary_value", bad, m, "not > 0")
        messages = _correlation_messages(x, m, w)
        if float(w.sum()) < 2:
            raise UserError("cannot fit the Gamma-Gamma model on fewer than two customers")
        scale = scale_for(m, w)
        (cx, cm), cw = compress([x, m * scale], w)
        total = float(cw.sum())
        return fit_model(
            model=MODEL,
            names=NAMES,
            lik=GammaGammaLikelihood(cx, cm, cw),
            starts=[np.array(s) for s in STARTS],
            total=total,
            penalizer=self.penalizer,
            log_scale=[0.0, 0.0, -math.log(scale)],
            loglik_offset=total * math.log(scale),
            n_customers=total,
            messages=messages,
        )


def _correlation_messages(x: np.ndarray, m: np.ndarray, w: np.ndarray) -> list[str]:
    if x.shape[0] < 3 or np.ptp(x) == 0 or np.ptp(m) == 0:
        return []
    cov = np.cov(x, m, aweights=w)
    corr = cov[0, 1] / math.sqrt(cov[0, 0] * cov[1, 1])
    if abs(corr) <= CORRELATION_WARNING:
        return []
    return [
        f"spend per order is correlated with the number of orders (r = {corr:.2f}); the "
        "Gamma-Gamma model assumes they are independent, so spend predictions may be biased"
    ]


def loglik(params: Mapping[str, float], frequency, monetary_value) -> np.ndarray | float:
    """Per-customer log-likelihood (note 025, eq. 1a); they sum to FitResult.loglik."""
    p, q, g = read_params(params, NAMES)
    x, m = arrays(frequency, monetary_value)
    px = p * x
    return out(
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(g)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(g + m * x)
    )


def expected_spend(params: Mapping[str, float]) -> float:
    """Mean spend per order across customers, p gamma / (q - 1) (needs q > 1)."""
    p, q, g = read_params(params, NAMES)
    if q <= 1:
        raise UserError(
            f"the population mean spend is infinite when q <= 1 (q = {q:.3g}): the spend "
            "distribution has too heavy a tail"
        )
    return p * g / (q - 1.0)


def conditional_expected_spend(
    params: Mapping[str, float], frequency, monetary_value
) -> np.ndarray | float:
    """E[M | x, m_x] = p (gamma + x m_x) / (p x + q - 1) (note 025, eq. 5): a weighted mean of
    the population mean and the customer's own mean; x = 0 gives the population mean."""
    p, q, g = read_params(params, NAMES)
    x, m = arrays(frequency, monetary_value)
    denom = p * x + q - 1.0
    if np.any(denom <= 0):
        raise UserError(
            f"expected spend is infinite for customers without repeat purchases when q <= 1 "
            f"(q = {q:.3g})"
        )
    return out(p * (g + x * m) / denom)
