"""Likelihood, gradient and Hessian shared by the BG/NBD and the MBG/NBD.

Both models (Fader, Hardie & Lee 2005, section 3; Batislam, Denizel & Filiztekin 2007) give a
customer with x repeat purchases, the last at t_x, observed for T, the log-likelihood

    ln L = A(x) - (r + x) ln(alpha + T) + ln(1 + d_x exp(D)),
    A(x) = ln G(r+x) - ln G(r) + r ln alpha + ln B(a, b + x + o) - ln B(a, b),
    D    = ln a - ln(b + x - 1 + o) + (r + x) [ln(alpha + T) - ln(alpha + t_x)],

with o = 0 and d_x = [x > 0] for the BG/NBD, o = 1 and d_x = 1 for the MBG/NBD. A(x) depends
on x alone, so it is summed over the distinct frequencies; only the last two terms are
evaluated per row, in chunks. Gradient and Hessian are analytic (derived by hand from the
expression above; checked against finite differences in the tests).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import integrate
from scipy.special import betaincinv, betaln, digamma, expit, gammaln, polygamma

from holdfast.models._common import dot, softplus
from holdfast.models._fit import CHUNK, chunks


class BGFamilyLikelihood:
    """Total weighted log-likelihood of (x, t_x, T, w) rows in log-parameters (r, alpha, a, b)."""

    analytic_hessian = True

    def __init__(
        self, x: np.ndarray, tx: np.ndarray, T: np.ndarray, w: np.ndarray, *, modified: bool
    ):
        self.modified = modified
        self.offset = 1.0 if modified else 0.0
        self.x, self.tx, self.T, self.w = x, tx, T, w
        self.n_rows = int(w.shape[0])
        counts = np.bincount(x.astype(np.int64), weights=w)
        self.ux = np.flatnonzero(counts > 0).astype(np.float64)
        self.wx = counts[counts > 0]
        self.total = float(w.sum())
        if modified:
            self.zero = None
            self.drop = (x, tx, T, w)
        else:
            nonzero = x > 0
            self.zero = (T[~nonzero], w[~nonzero])
            self.drop = (x[nonzero], tx[nonzero], T[nonzero], w[nonzero])

    def subset(self, rows: np.ndarray, weights: np.ndarray) -> BGFamilyLikelihood:
        return BGFamilyLikelihood(
            self.x[rows], self.tx[rows], self.T[rows], weights, modified=self.modified
        )

    # -- value and derivatives with respect to the natural parameters ------------------------

    def _per_x(self, r: float, al: float, a: float, b: float, order: int):
        ux, wx, o = self.ux, self.wx, self.offset
        value = dot(
            wx,
            gammaln(r + ux)
            - gammaln(r)
            + gammaln(a + b)
            + gammaln(b + ux + o)
            - gammaln(b)
            - gammaln(a + b + ux + o),
        ) + self.total * r * float(np.log(al))
        d_ab = digamma(a + b) - digamma(a + b + ux + o)
        grad = np.array(
            [
                dot(wx, (digamma(r + ux) - digamma(r))) + self.total * np.log(al),
                self.total * r / al,
                dot(wx, d_ab),
                dot(wx, (d_ab + digamma(b + ux + o) - digamma(b))),
            ]
        )
        if order < 2:
            return value, grad, None
        t_ab = dot(wx, (polygamma(1, a + b) - polygamma(1, a + b + ux + o)))
        hess = np.zeros((4, 4))
        hess[0, 0] = dot(wx, (polygamma(1, r + ux) - polygamma(1, r)))
        hess[0, 1] = hess[1, 0] = self.total / al
        hess[1, 1] = -self.total * r / al**2
        hess[2, 2] = t_ab
        hess[2, 3] = hess[3, 2] = t_ab
        hess[3, 3] = t_ab + dot(wx, (polygamma(1, b + ux + o) - polygamma(1, b)))
        return value, grad, hess

    def _rows(self, r: float, al: float, a: float, b: float, order: int):
        value = 0.0
        grad = np.zeros(4)
        hess = np.zeros((4, 4))
        if self.zero is not None:
            T0, w0 = self.zero
            for s in chunks(T0.shape[0]):
                T, w = T0[s : s + CHUNK], w0[s : s + CHUNK]
                L3 = np.log(al + T)
                i3 = 1.0 / (al + T)
                value -= r * dot(w, L3)
                grad[0] -= dot(w, L3)
                wi3 = dot(w, i3)
                grad[1] -= r * wi3
                if order >= 2:
                    hess[0, 1] -= wi3
                    hess[1, 1] += r * dot(w, (i3 * i3))
        xs, txs, Ts, ws = self.drop
        la = np.log(a)
        for s in chunks(ws.shape[0]):
            sl = slice(s, s + CHUNK)
            x, tx, T, w = xs[sl], txs[sl], Ts[sl], ws[sl]
            rx = r + x
            L3 = np.log(al + T)
            L4 = np.log(al + tx)
            i3 = 1.0 / (al + T)
            i4 = 1.0 / (al + tx)
            kb = 1.0 / (b + x - 1.0 + self.offset)
            e = L3 - L4
            di = i3 - i4
            f = rx * di
            D = la + np.log(kb) + rx * e
            pi = expit(D)
            value += dot(w, (softplus(D) - rx * L3))
            wpi = w * pi
            grad[0] += float(dot(wpi, e) - dot(w, L3))
            grad[1] += float(dot(wpi, f) - dot(w, (rx * i3)))
            grad[2] += float(wpi.sum()) / a
            grad[3] -= dot(wpi, kb)
            if order >= 2:
                q = wpi * (1.0 - pi)
                qe, qf, qk = q * e, q * f, q * kb
                hess[0, 0] += dot(qe, e)
                hess[0, 1] += float(dot(wpi, di) - dot(w, i3) + dot(qe, f))
                hess[1, 1] += float(
                    dot(w, (rx * i3 * i3)) + dot(wpi, (rx * (i4 * i4 - i3 * i3))) + dot(qf, f)
                )
                sq = float(q.sum())
                hess[0, 2] += float(qe.sum()) / a
                hess[0, 3] -= dot(qe, kb)
                hess[1, 2] += float(qf.sum()) / a
                hess[1, 3] -= dot(qf, kb)
                hess[2, 2] += (sq - float(wpi.sum())) / a**2
                hess[2, 3] -= float(qk.sum()) / a
                hess[3, 3] += float(dot(wpi, (kb * kb)) + dot(qk, kb))
        if order >= 2:
            hess = np.triu(hess) + np.triu(hess, 1).T
        return value, grad, hess

    def evaluate(self, u: np.ndarray, order: int):
        """Log-likelihood, gradient and (order 2) Hessian with respect to log-parameters."""
        theta = np.exp(u)
        v1, g1, h1 = self._per_x(*theta, order)
        v2, g2, h2 = self._rows(*theta, order)
        grad = g1 + g2
        hess = None
        if order >= 2:
            hess = np.outer(theta, theta) * (h1 + h2) + np.diag(theta * grad)
        return v1 + v2, theta * grad, hess


def loglik_rows(r: float, al: float, a: float, b: float, x, tx, T, *, modified: bool) -> np.ndarray:
    """Per-customer log-likelihood on the caller's units (the formula in the module docstring)."""
    o = 1.0 if modified else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        A = (
            gammaln(r + x)
            - gammaln(r)
            + r * np.log(al)
            + gammaln(a + b)
            + gammaln(b + x + o)
            - gammaln(b)
            - gammaln(a + b + x + o)
        )
        D = np.log(a) - np.log(b + x - 1.0 + o) + (r + x) * (np.log(al + T) - np.log(al + tx))
        tail = softplus(D) if modified else np.where(x > 0, softplus(D), 0.0)
    return A - (r + x) * np.log(al + T) + tail


#: Below this standard deviation of p ~ Beta(a, beta) the expectation is taken at the mean.
CONCENTRATED = 1e-6
#: Quantiles of p given to the quadrature as break points, so it cannot step over the mass.
MASS_POINTS = (1e-9, 1e-6, 1e-3, 0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 0.98, 0.999, 1 - 1e-6, 1 - 1e-9)
#: Values of p given too, where g(p) bends, whatever the mass (steep substitutions need them).
FIXED_POINTS = (1e-6, 1e-4, 1e-3, 0.01, 0.03, 0.1, 0.3, 0.7, 0.9, 0.99, 0.999)


def purchases_given_alive(s, u, a: float, beta) -> np.ndarray:
    """E[(1 - exp(-lambda p t)) / p] for p ~ Beta(a, beta) and lambda t ~ Gamma(s, 1/u), by
    adaptive quadrature over p: the integral of g(p) = (1 - (1 + p u)^-s) / p times the beta
    density.

    This is the expected number of purchases in the next t of a customer alive now, with
    s = r + x and u = t / (alpha + T) (beta = b + x for the BG/NBD, b + x + 1 for the MBG/NBD;
    s = r, u = t / alpha for a new customer). The closed forms through 2F1 over- or underflow
    at extreme parameters (a or r in the tens of thousands, as a flat likelihood can give);
    g is bounded, so this is the fallback where they are not finite. The integral is split at
    m = 1/2 and each half substituted (p = m y^(1/c), 1 - p = (1 - m) v^(1/d), c = min(a, 1),
    d = min(beta, 1)) so the density's end-point singularities for a or beta < 1 disappear.
    """
    s, u, beta = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (s, u, beta)))
    result = np.empty(s.shape)
    for i in np.ndindex(s.shape):
        result[i] = _given_alive_one(float(s[i]), float(u[i]), a, float(beta[i]))
    return result


def _given_alive_one(s: float, u: float, a: float, beta: float) -> float:
    if u <= 0:
        return 0.0

    def g(p: float) -> float:
        return -math.expm1(-s * math.log1p(p * u)) / p if p > 0 else s * u

    mean = a / (a + beta)
    sd = math.sqrt(a * beta / ((a + beta) ** 2 * (a + beta + 1.0)))
    if sd < CONCENTRATED:
        return g(mean)  # p is all but fixed (error of order variance x g'')
    m = 0.5
    norm = betaln(a, beta)
    c, d = min(a, 1.0), min(beta, 1.0)

    def left(y: float) -> float:
        if y <= 0.0:
            return 0.0
        p = m * y ** (1.0 / c)
        log_w = a * math.log(m) - math.log(c) + (a / c - 1.0) * math.log(y)
        return g(p) * math.exp(log_w + (beta - 1.0) * math.log1p(-p) - norm)

    def right(v: float) -> float:
        if v <= 0.0:
            return 0.0
        q = (1.0 - m) * v ** (1.0 / d)  # 1 - p
        log_w = beta * math.log1p(-m) - math.log(d) + (beta / d - 1.0) * math.log(v)
        return g(1.0 - q) * math.exp(log_w + (a - 1.0) * math.log1p(-q) - norm)

    # quantiles of p in each half's coordinates, so the adaptive rule cannot step over the mass
    spots = [float(betaincinv(a, beta, q)) for q in MASS_POINTS] + list(FIXED_POINTS)
    ys = sorted({(p / m) ** c for p in spots if 0.0 < p < m} - {0.0, 1.0})
    vs = sorted({((1.0 - p) / (1.0 - m)) ** d for p in spots if m < p < 1.0} - {0.0, 1.0})
    with warnings.catch_warnings():
        # in degenerate regions (r ~ 1e6 with a ~ 0.01, fits already flagged as flat) quad can
        # reach its subdivision limit; its estimate is still a finite, close number
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        return (
            integrate.quad(left, 0.0, 1.0, points=ys or None, limit=500)[0]
            + integrate.quad(right, 0.0, 1.0, points=vs or None, limit=500)[0]
        )


def finite_or_quadrature(closed, s, u, a: float, beta) -> np.ndarray:
    """``closed`` (a closed form, computed with floating-point warnings off) where it is a finite
    number >= 0 (up to rounding), :func:`purchases_given_alive` elsewhere."""
    closed = np.asarray(closed, dtype=float)
    bad = ~(np.isfinite(closed) & (closed >= -1e-12))
    closed = np.array(np.maximum(closed, 0.0))  # rounding just below 0 for t -> 0
    if not bad.any():
        return closed
    s, u, beta = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (s, u, beta)))
    fixed = closed.copy()
    fixed[bad] = purchases_given_alive(s[bad], u[bad], a, beta[bad])
    return fixed
