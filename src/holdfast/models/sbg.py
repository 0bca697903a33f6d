"""Shifted-beta-geometric (sBG) model of contract renewals (Fader & Hardie 2007, "How to
Project Customer Retention", Journal of Interactive Marketing 21(1); DERL from Fader & Hardie
2010, "Customer-Base Valuation in a Contractual Setting: The Perils of Ignoring
Heterogeneity", Marketing Science 29(1)).

At the end of each period a customer churns with probability theta ~ Beta(alpha, beta). Input
is either one cohort's survivor counts

    survivors  n_0, n_1, ..., n_K   customers still active after 0, 1, ..., K periods

or one row per customer:

    duration   periods completed: the period in which they churned, or (still active) the
               number of periods they have renewed through so far
    churned    True if they churned at the end of period ``duration``, False if censored

>>> result = ShiftedBetaGeometric().fit(survivors=[1000, 631, 468, 382, 326, 289, 262, 241])
... # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from scipy.special import betaln, digamma, hyp2f1, polygamma

from holdfast.errors import InputError, UserError
from holdfast.models._common import arrays, dot, out, read_params
from holdfast.models._fit import compress, fit_model
from holdfast.models._validate import (
    as_column,
    check_nonnegative,
    check_whole,
    raise_rows,
    weights_column,
)
from holdfast.models.result import FitResult

NAMES = ("alpha", "beta")
MODEL = "sBG"
STARTS = ((0.0, 0.0), (-1.0, 1.0), (1.0, 2.0), (-2.0, -1.0))


class BetaRatioLikelihood:
    """Sum over rows of w [ln B(alpha + a_i, beta + b_i) - ln B(alpha, beta)], the sBG's
    log-likelihood (a_i, b_i) = (1, t-1) for a churn in period t, (0, t) for survival past t."""

    analytic_hessian = True

    def __init__(self, a_off: np.ndarray, b_off: np.ndarray, w: np.ndarray):
        self.a_off, self.b_off, self.w = a_off, b_off, w
        self.n_rows = int(w.shape[0])
        self.total = float(w.sum())

    def subset(self, rows: np.ndarray, weights: np.ndarray) -> BetaRatioLikelihood:
        return BetaRatioLikelihood(self.a_off[rows], self.b_off[rows], weights)

    def evaluate(self, u: np.ndarray, order: int):
        al, be = theta = np.exp(u)
        a, b, w, total = al + self.a_off, be + self.b_off, self.w, self.total
        value = dot(w, betaln(a, b)) - total * float(betaln(al, be))
        dab = digamma(a + b)
        grad = np.array(
            [
                dot(w, (digamma(a) - dab)) - total * (digamma(al) - digamma(al + be)),
                dot(w, (digamma(b) - dab)) - total * (digamma(be) - digamma(al + be)),
            ]
        )
        grad_u = theta * grad
        if order < 2:
            return value, grad_u, None
        tab = polygamma(1, a + b)
        t0 = polygamma(1, al + be)
        h = np.empty((2, 2))
        h[0, 0] = dot(w, (polygamma(1, a) - tab)) - total * (polygamma(1, al) - t0)
        h[1, 1] = dot(w, (polygamma(1, b) - tab)) - total * (polygamma(1, be) - t0)
        h[0, 1] = h[1, 0] = -dot(w, tab) + total * t0
        return value, grad_u, np.outer(theta, theta) * h + np.diag(grad_u)


def survivors_to_durations(survivors: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(duration, churned, weights) rows from a cohort's survivor counts n_0 >= n_1 >= ...."""
    n = as_column("survivors", survivors)
    if n.shape[0] < 2:
        raise InputError("survivors needs the cohort size and at least one later count")
    check_nonnegative("survivors", n)
    check_whole("survivors", n)
    rising = np.flatnonzero(np.diff(n) > 0) + 1
    if rising.size:
        raise_rows(
            "survivor counts cannot increase",
            "survivors",
            rising,
            n,
            "larger than the count before",
        )
    periods = n.shape[0] - 1
    lost = -np.diff(n)
    duration = np.concatenate([np.arange(1, periods + 1), [periods]]).astype(float)
    churned = np.concatenate([np.ones(periods, dtype=bool), [False]])
    weights = np.concatenate([lost, [n[-1]]])
    return duration, churned, weights


class ShiftedBetaGeometric:
    """sBG fitter. ``penalizer`` adds penalizer x (log(alpha)^2 + log(beta)^2) to the mean
    negative log-likelihood."""

    name = MODEL
    param_names = NAMES

    def __init__(self, penalizer: float = 0.0):
        self.penalizer = penalizer

    def fit(
        self,
        duration: object = None,
        churned: object = None,
        *,
        survivors: object = None,
        weights: object = None,
    ) -> FitResult:
        """Maximum-likelihood fit (Fader & Hardie 2007, appendix) on survivor counts or rows."""
        if not (math.isfinite(self.penalizer) and self.penalizer >= 0):
            raise UserError(f"penalizer must be a number >= 0, got {self.penalizer!r}")
        if survivors is not None:
            if duration is not None or churned is not None or weights is not None:
                raise UserError("give either survivors or duration/churned rows, not both")
            t, dead, w = survivors_to_durations(survivors)
        else:
            if duration is None or churned is None:
                raise UserError("give survivors=[...] or both duration and churned")
            t = as_column("duration", duration)
            dead = np.asarray(churned, dtype=bool).reshape(-1)
            if dead.shape != t.shape:
                raise InputError(f"churned has {dead.shape[0]} values but duration {t.shape[0]}")
            w = weights_column(weights, t.shape[0])
            check_nonnegative("duration", t)
            check_whole("duration", t)
            early = np.flatnonzero(dead & (t < 1))
            if early.size:
                raise_rows("a churn happens in period 1 or later", "duration", early, t, "< 1")
        messages = _data_messages(dead, w)
        a_off = np.where(dead, 1.0, 0.0)
        b_off = np.where(dead, t - 1.0, t)
        (ca, cb), cw = compress([a_off, b_off], w)
        total = float(cw.sum())
        return fit_model(
            model=MODEL,
            names=NAMES,
            lik=BetaRatioLikelihood(ca, cb, cw),
            starts=[np.array(s) for s in STARTS],
            total=total,
            penalizer=self.penalizer,
            log_scale=[0.0, 0.0],
            loglik_offset=0.0,
            n_customers=total,
            messages=messages,
        )


def _data_messages(dead: np.ndarray, w: np.ndarray) -> list[str]:
    churners = float(w[dead].sum())
    if float(w.sum()) == 0:
        raise UserError("cannot fit the sBG: there are no customers")
    if churners == 0:
        raise UserError(
            "cannot fit the sBG: no customer churned, so the churn probabilities cannot be "
            "estimated (they could be anywhere near zero)"
        )
    if churners == float(w.sum()) and np.all(w[dead] > 0):
        return [
            "every customer churned: there is no information about long-lived customers, "
            "so projections far ahead are unreliable"
        ]
    return []


def loglik(params: Mapping[str, float], duration, churned) -> np.ndarray | float:
    """Per-customer log-likelihood: ln P(T = t) for churners, ln S(t) for the rest."""
    al, be = read_params(params, NAMES)
    (t,) = arrays(duration)
    dead = np.broadcast_to(np.asarray(churned, dtype=bool), t.shape)
    lb = np.where(dead, betaln(al + 1.0, be + t - 1.0), betaln(al, be + t))
    return out(lb - betaln(al, be))


def churn_probability(params: Mapping[str, float], t) -> np.ndarray | float:
    """P(T = t) = B(alpha+1, beta+t-1) / B(alpha, beta): churn at the end of period t >= 1."""
    al, be = read_params(params, NAMES)
    (t,) = arrays(t)
    return out(np.exp(betaln(al + 1.0, be + t - 1.0) - betaln(al, be)))


def survival(params: Mapping[str, float], t) -> np.ndarray | float:
    """S(t) = B(alpha, beta+t) / B(alpha, beta): still active after t periods."""
    al, be = read_params(params, NAMES)
    (t,) = arrays(t)
    return out(np.exp(betaln(al, be + t) - betaln(al, be)))


def retention_rate(params: Mapping[str, float], t) -> np.ndarray | float:
    """r_t = S(t)/S(t-1) = (beta + t - 1) / (alpha + beta + t - 1), rising with t."""
    al, be = read_params(params, NAMES)
    (t,) = arrays(t)
    return out((be + t - 1.0) / (al + be + t - 1.0))


def project_survivors(params: Mapping[str, float], cohort_size: float, periods: int) -> np.ndarray:
    """Expected active customers n_0 S(t) for t = 0, 1, ..., periods."""
    return np.asarray(survival(params, np.arange(periods + 1))) * float(cohort_size)


def discounted_expected_residual_lifetime(
    params: Mapping[str, float], discount_rate: float, renewals=0
) -> np.ndarray | float:
    """DERL for a customer who has made ``renewals`` = n-1 renewals (Fader & Hardie 2010):

        sum_{t >= n} S(t)/S(n-1) / (1+d)^(t-n)
        = (beta+n-1)/(alpha+beta+n-1) 2F1(1, beta+n; alpha+beta+n; 1/(1+d)),

    the expected discounted number of payments still to come, the next one undiscounted.
    Multiply by the margin per period for the residual value of the customer.
    """
    al, be = read_params(params, NAMES)
    if not discount_rate > 0:
        raise UserError(f"discount_rate must be > 0 for a finite DERL, got {discount_rate!r}")
    (n,) = arrays(renewals)
    n = n + 1.0
    v = 1.0 / (1.0 + discount_rate)
    return out((be + n - 1.0) / (al + be + n - 1.0) * hyp2f1(1.0, be + n, al + be + n, v))


def discounted_expected_lifetime(params: Mapping[str, float], discount_rate: float) -> float:
    """DEL of a new customer: sum_{t >= 0} S(t) / (1+d)^t = 2F1(1, beta; alpha+beta; 1/(1+d))
    (the first payment at t = 0 undiscounted)."""
    al, be = read_params(params, NAMES)
    if not discount_rate > 0:
        raise UserError(f"discount_rate must be > 0 for a finite DEL, got {discount_rate!r}")
    return float(hyp2f1(1.0, be, al + be, 1.0 / (1.0 + discount_rate)))
