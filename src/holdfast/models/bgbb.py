"""BG/BB model of discrete-time repeat transactions (Fader, Hardie & Shang 2010, "Customer-Base
Analysis in a Discrete-Time Noncontractual Setting", Marketing Science 29(6)).

At each of n transaction opportunities a living customer transacts with probability
p ~ Beta(alpha, beta); before each opportunity they die with probability theta ~ Beta(gamma,
delta). Input, one row per customer (counts of opportunities, e.g. yearly events attended):

    frequency  x    opportunities with a transaction (after the first, which starts the clock)
    recency    t_x  the last such opportunity (0 if x = 0)
    n_periods  n    opportunities observed

>>> result = BetaGeoBetaBinomial().fit(frequency, recency, n_periods)   # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from scipy.special import betaln, digamma, gammaln, hyp2f1

from holdfast.errors import UserError
from holdfast.models._common import arrays, dot, out, read_params
from holdfast.models._fit import compress, fit_model
from holdfast.models._validate import (
    Issues,
    as_column,
    check_nonnegative,
    check_whole,
    weights_column,
)
from holdfast.models.diagnostics import repeat_buyer_messages
from holdfast.models.result import FitResult

NAMES = ("alpha", "beta", "gamma", "delta")
MODEL = "BG/BB"
STARTS = (
    (0.0, 0.0, 0.0, 0.0),
    (0.5, -0.5, -0.5, 1.0),
    (-1.0, 1.0, 1.0, 2.0),
    (1.0, 1.0, -1.0, 0.0),
)
#: Rows of the (rows x terms) grid evaluated at once.
BLOCK = 4096


def _terms(x, tx, n):
    """The log-likelihood terms' offsets, a grid of (y, g, h) per row (FHS 2010, section 3).

    Term 0 is "alive through n": B(alpha+x, beta+n-x) B(gamma, delta+n); term 1+i is "died
    just before opportunity t_x+i+1": B(alpha+x, beta+t_x-x+i) B(gamma+1, delta+t_x+i), for
    i = 0 .. n-t_x-1. Unused cells are masked.
    """
    width = int((n - tx).max()) + 1 if n.size else 1
    i = np.arange(width - 1, dtype=float)[None, :]
    y = np.concatenate([(n - x)[:, None], (tx - x)[:, None] + i], axis=1)
    g = np.concatenate([np.zeros((n.shape[0], 1)), np.ones((n.shape[0], width - 1))], axis=1)
    h = np.concatenate([n[:, None], tx[:, None] + i], axis=1)
    mask = np.concatenate([np.ones((n.shape[0], 1), bool), i < (n - tx)[:, None]], axis=1)
    return y, g, h, mask


def _row_loglik(al, be, ga, de, x, tx, n, grad: bool):
    """Per-row log-likelihood and (4 x rows) gradient, blockwise over rows."""
    rows = x.shape[0]
    value = np.empty(rows)
    dvalue = np.empty((4, rows)) if grad else None
    for start in range(0, rows, BLOCK):
        sl = slice(start, start + BLOCK)
        xs = x[sl][:, None]
        y, g, h, mask = _terms(x[sl], tx[sl], n[sl])
        lt = betaln(al + xs, be + y) + betaln(ga + g, de + h)
        lt = np.where(mask, lt, -np.inf)
        top = lt.max(axis=1, keepdims=True)
        share = np.exp(lt - top)
        norm = share.sum(axis=1, keepdims=True)
        value[sl] = (top + np.log(norm))[:, 0] - betaln(al, be) - betaln(ga, de)
        if grad:
            share /= norm
            dab = digamma(al + be + xs + y)
            dgd = digamma(ga + de + g + h)
            dvalue[0, sl] = (share * (digamma(al + xs) - dab)).sum(axis=1)
            dvalue[1, sl] = (share * (digamma(be + y) - dab)).sum(axis=1)
            dvalue[2, sl] = (share * (digamma(ga + g) - dgd)).sum(axis=1)
            dvalue[3, sl] = (share * (digamma(de + h) - dgd)).sum(axis=1)
    if grad:
        dvalue[0] -= digamma(al) - digamma(al + be)
        dvalue[1] -= digamma(be) - digamma(al + be)
        dvalue[2] -= digamma(ga) - digamma(ga + de)
        dvalue[3] -= digamma(de) - digamma(ga + de)
    return value, dvalue


class BGBBLikelihood:
    """Total weighted BG/BB log-likelihood in log-parameters (alpha, beta, gamma, delta)."""

    def __init__(self, x: np.ndarray, tx: np.ndarray, n: np.ndarray, w: np.ndarray):
        self.x, self.tx, self.n, self.w = x, tx, n, w
        self.n_rows = int(w.shape[0])

    def subset(self, rows: np.ndarray, weights: np.ndarray) -> BGBBLikelihood:
        return BGBBLikelihood(self.x[rows], self.tx[rows], self.n[rows], weights)

    def evaluate(self, u: np.ndarray, order: int):
        theta = np.exp(u)
        value, dvalue = _row_loglik(*theta, self.x, self.tx, self.n, grad=True)
        return dot(self.w, value), theta * np.einsum("ij,j->i", dvalue, self.w), None


def _columns(frequency, recency, n_periods, weights):
    x = as_column("frequency", frequency)
    tx = as_column("recency", recency, length=x.shape[0])
    n = as_column("n_periods", n_periods, length=x.shape[0])
    w = weights_column(weights, x.shape[0])
    issues = Issues()
    for name, col in (("frequency", x), ("recency", tx), ("n_periods", n)):
        check_nonnegative(name, col, issues)
        check_whole(name, col, issues)
    checks = (
        (x > tx, "frequency cannot exceed recency (one transaction per period)"),
        (tx > n, "recency cannot exceed n_periods"),
        ((x == 0) & (tx != 0), "recency must be 0 when frequency is 0"),
    )
    for bad, reason in checks:
        issues.add("inconsistent BG/BB data", "recency", np.flatnonzero(bad), tx, reason)
    issues.raise_if_any()
    return x, tx, n, w


class BetaGeoBetaBinomial:
    """BG/BB fitter; ``penalizer`` adds penalizer x sum((log theta)^2) to the mean negative
    log-likelihood."""

    name = MODEL
    param_names = NAMES

    def __init__(self, penalizer: float = 0.0):
        self.penalizer = penalizer

    def fit(
        self, frequency: object, recency: object, n_periods: object, weights: object = None
    ) -> FitResult:
        """Maximum-likelihood fit (FHS 2010, section 3); identical rows are merged first."""
        if not (math.isfinite(self.penalizer) and self.penalizer >= 0):
            raise UserError(f"penalizer must be a number >= 0, got {self.penalizer!r}")
        x, tx, n, w = _columns(frequency, recency, n_periods, weights)
        messages = repeat_buyer_messages(MODEL, x, w)
        (cx, ctx, cn), cw = compress([x, tx, n], w)
        total = float(cw.sum())
        return fit_model(
            model=MODEL,
            names=NAMES,
            lik=BGBBLikelihood(cx, ctx, cn, cw),
            starts=[np.array(s) for s in STARTS],
            total=total,
            penalizer=self.penalizer,
            log_scale=[0.0] * 4,
            loglik_offset=0.0,
            n_customers=total,
            messages=messages,
        )


def _flat(params, *values):
    al, be, ga, de = read_params(params, NAMES)
    cols = arrays(*values)
    return (al, be, ga, de), cols[0].shape, [c.ravel() for c in cols]


def loglik(params: Mapping[str, float], frequency, recency, n_periods) -> np.ndarray | float:
    """Per-customer log-likelihood (FHS 2010, section 3); they sum to FitResult.loglik."""
    theta, shape, (x, tx, n) = _flat(params, frequency, recency, n_periods)
    return out(_row_loglik(*theta, x, tx, n, grad=False)[0].reshape(shape))


def _alive_share(ga, de, start, stop):
    """sum_{k=start}^{stop} B(gamma, delta+k)/B(gamma, delta): expected alive opportunities.

    Telescoping B(g, d+k) = B(g-1, d+k) - B(g-1, d+k+1) gives a closed form; near gamma = 1,
    where it is 0/0, the sum is added up directly.
    """
    start, stop = np.broadcast_arrays(np.asarray(start, float), np.asarray(stop, float))
    result = np.zeros(start.shape)
    if abs(ga - 1.0) > 1e-4:
        head = gammaln(de + start) + gammaln(ga + de) - gammaln(ga + de + start - 1.0) - gammaln(de)
        log_ratio = (
            gammaln(de + stop + 1.0)
            - gammaln(de + start)
            - gammaln(ga + de + stop)
            + gammaln(ga + de + start - 1.0)
        )
        closed = np.exp(head) * -np.expm1(log_ratio) / (ga - 1.0)
        return np.where(stop >= start, closed, 0.0)
    for idx in np.ndindex(start.shape):
        k = np.arange(start[idx], stop[idx] + 1.0)
        result[idx] = np.exp(betaln(ga, de + k) - betaln(ga, de)).sum()
    return result


def expected_purchases(params: Mapping[str, float], n) -> np.ndarray | float:
    """E[X(n)]: expected transactions of a new customer in n opportunities (FHS 2010):
    alpha/(alpha+beta) sum_{t=1}^{n} B(gamma, delta+t)/B(gamma, delta)."""
    al, be, ga, de = read_params(params, NAMES)
    (n,) = arrays(n)
    return out(al / (al + be) * _alive_share(ga, de, 1.0, n))


def p_alive(
    params: Mapping[str, float], frequency, recency, n_periods, m_periods=0
) -> np.ndarray | float:
    """P(alive at opportunity n + m | x, t_x, n) (FHS 2010, for m = 1; m = 0 is "alive
    at n"): B(alpha+x, beta+n-x)/B(alpha,beta) B(gamma, delta+n+m)/B(gamma,delta) / L."""
    (al, be, ga, de), shape, (x, tx, n, m) = _flat(params, frequency, recency, n_periods, m_periods)
    ll = _row_loglik(al, be, ga, de, x, tx, n, grad=False)[0]
    log_alive = (
        betaln(al + x, be + n - x) - betaln(al, be) + betaln(ga, de + n + m) - betaln(ga, de)
    )
    return out(np.exp(log_alive - ll).reshape(shape))


def conditional_expected_purchases(
    params: Mapping[str, float], m_periods, frequency, recency, n_periods
) -> np.ndarray | float:
    """E[X(n, n+m) | x, t_x, n]: expected transactions in the next m opportunities (FHS 2010):
    B(alpha+x+1, beta+n-x)/B(alpha,beta) / L x sum_{k=n+1}^{n+m} B(gamma,
    delta+k)/B(gamma, delta)."""
    (al, be, ga, de), shape, (m, x, tx, n) = _flat(params, m_periods, frequency, recency, n_periods)
    ll = _row_loglik(al, be, ga, de, x, tx, n, grad=False)[0]
    head = np.exp(betaln(al + x + 1.0, be + n - x) - betaln(al, be) - ll)
    return out((head * _alive_share(ga, de, n + 1.0, n + m)).reshape(shape))


def probability_of_purchases(params: Mapping[str, float], n, x) -> np.ndarray | float:
    """P(X(n) = x) for a new customer (FHS 2010): alive through n with x transactions,
    or died before opportunity i+1 (i = x .. n-1) after x transactions in the first i."""
    al, be, ga, de = read_params(params, NAMES)
    n, x = arrays(n, x)
    result = np.empty(n.shape)
    for idx in np.ndindex(n.shape):
        nn, xx = float(n[idx]), float(x[idx])
        if xx > nn:
            result[idx] = 0.0
            continue
        alive = _log_choose(nn, xx) + betaln(al + xx, be + nn - xx) + betaln(ga, de + nn)
        i = np.arange(xx, nn)
        died = _log_choose(i, xx) + betaln(al + xx, be + i - xx) + betaln(ga + 1.0, de + i)
        terms = np.concatenate([[alive], died])
        result[idx] = np.exp(terms - betaln(al, be) - betaln(ga, de)).sum()
    return out(result)


def _log_choose(n, k):
    return gammaln(n + 1.0) - gammaln(k + 1.0) - gammaln(n - k + 1.0)


def discounted_expected_residual_transactions(
    params: Mapping[str, float], discount_rate: float, frequency, recency, n_periods
) -> np.ndarray | float:
    """DERT (FHS 2010): expected transactions from opportunity n+1 on, the one at n+k
    discounted by (1+d)^-k:

        B(alpha+x+1, beta+n-x)/B(alpha,beta) B(gamma, delta+n+1)/B(gamma,delta) / L
        x 2F1(1, delta+n+1; gamma+delta+n+1; 1/(1+d)) / (1+d).
    """
    if not discount_rate > 0:
        raise UserError(f"discount_rate must be > 0 for a finite DERT, got {discount_rate!r}")
    (al, be, ga, de), shape, (x, tx, n) = _flat(params, frequency, recency, n_periods)
    ll = _row_loglik(al, be, ga, de, x, tx, n, grad=False)[0]
    v = 1.0 / (1.0 + discount_rate)
    head = (
        betaln(al + x + 1.0, be + n - x)
        - betaln(al, be)
        + betaln(ga, de + n + 1.0)
        - betaln(ga, de)
        - ll
    )
    return out((np.exp(head) * v * hyp2f1(1.0, de + n + 1.0, ga + de + n + 1.0, v)).reshape(shape))
