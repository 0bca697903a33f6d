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
from holdfast.models._fit import CHUNK, chunks, compress, fit_model, scale_for
from holdfast.models._validate import as_column, check_whole, raise_rows, weights_column
from holdfast.models.result import FitResult

NAMES = ("p", "q", "gamma")
MODEL = "Gamma-Gamma"
#: |correlation| between frequency and spend above which the independence assumption is doubted.
CORRELATION_WARNING = 0.3
STARTS = ((0.0, 0.0, 0.0), (1.0, 1.0, 0.0), (2.0, 1.0, 1.0), (-1.0, 0.5, -1.0))


class GammaGammaLikelihood:
    """Total weighted Gamma-Gamma log-likelihood in log-parameters (p, q, gamma).

    Only the last factor, (gamma + m_x x)^(px+q), ties a customer's spend to the parameters
    in a way that needs each row: the gamma functions depend on x alone and are taken once
    per distinct x, and the powers of m_x and x are weighted sums taken once. An evaluation
    costs one logarithm and one division per row instead of six special functions.
    """

    analytic_hessian = True

    def __init__(self, x: np.ndarray, m: np.ndarray, w: np.ndarray):
        self.x, self.m, self.w = x, m, w
        self.n_rows = int(w.shape[0])
        self.wx = w * x
        self.total = float(w.sum())
        self.xs, codes = np.unique(x, return_inverse=True)
        self.weight_of_x = np.bincount(codes, weights=w, minlength=self.xs.size)
        log_m = np.log(m)
        self.sum_log_m = dot(w, log_m)
        # d/dp of (px - 1) log m_x + px log x
        self.sum_x_logs = dot(self.wx, log_m + np.log(x))

    def subset(self, rows: np.ndarray, weights: np.ndarray) -> GammaGammaLikelihood:
        return GammaGammaLikelihood(self.x[rows], self.m[rows], weights)

    def _row_sums(self, g: float, order: int) -> np.ndarray:
        """Weighted sums over the rows of log(gm), 1/gm and (order 2) 1/gm^2, gm = gamma +
        m_x x, each plain and times x: [log, x log, inv, x inv, inv2, x inv2]."""
        sums = np.zeros(6)
        for start in chunks(self.n_rows):
            sl = slice(start, start + CHUNK)
            w, wx = self.w[sl], self.wx[sl]
            gm = g + self.m[sl] * self.x[sl]
            log_gm = np.log(gm)
            inv = 1.0 / gm
            sums[:4] += [dot(w, log_gm), dot(wx, log_gm), dot(w, inv), dot(wx, inv)]
            if order >= 2:
                inv *= inv
                sums[4:] += [dot(w, inv), dot(wx, inv)]
        return sums

    def evaluate(self, u: np.ndarray, order: int):
        p, q, g = theta = np.exp(u)
        n, xs, wxs = self.total, self.xs, self.weight_of_x
        log_gm, x_log_gm, inv, x_inv, inv2, x_inv2 = self._row_sums(g, order)
        pxs = p * xs
        value = (
            dot(wxs, gammaln(pxs + q) - gammaln(pxs))
            + n * (q * math.log(g) - gammaln(q))
            + p * self.sum_x_logs
            - self.sum_log_m
            - p * x_log_gm
            - q * log_gm
        )
        d_pq = digamma(pxs + q)
        grad = np.array(
            [
                dot(wxs, xs * (d_pq - digamma(pxs))) + self.sum_x_logs - x_log_gm,
                dot(wxs, d_pq) + n * (math.log(g) - digamma(q)) - log_gm,
                n * q / g - p * x_inv - q * inv,
            ]
        )
        grad_u = theta * grad
        if order < 2:
            return value, grad_u, None
        t_pq = polygamma(1, pxs + q)
        hess = np.array(
            [
                [dot(wxs, xs * xs * (t_pq - polygamma(1, pxs))), dot(wxs, xs * t_pq), -x_inv],
                [0.0, dot(wxs, t_pq) - n * polygamma(1, q), n / g - inv],
                [0.0, 0.0, -n * q / g**2 + p * x_inv2 + q * inv2],
            ]
        )
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
