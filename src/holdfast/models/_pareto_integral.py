"""The Pareto/NBD "death term" integral, in logs, with its derivatives.

The Pareto/NBD likelihood (Fader & Hardie 2005, note 009, eqs. 18-20) needs, per customer,

    I = integral over tau in [t_x, T] of (alpha + tau)^-(r+x) (beta + tau)^-(s+1) d tau,

which the note writes as a difference of two Gauss hypergeometric terms, expanded around
max(alpha, beta) (the two-branch trick: 2F1(r+s+x, s+1 or r+x; r+s+x+1; |alpha-beta|/
(max+t))). With m = max(alpha, beta), rho = |alpha - beta|, a1 the exponent of the (m + tau)
factor, b1 the other one, c = r + s + x and z = rho / (m + t) in [0, 1):

    G(t) = (m+t)^-c / c * 2F1(c, b1; c+1; z)
         = (m+t)^-c / c * (1-z)^(1-b1) * S(z),   S(z) = sum_k (a1)_k / (c+1)_k z^k,

the second line by Euler's transformation. S has positive terms bounded by z^k, with no
cancellation and, unlike the untransformed series, no growth for customers with hundreds of
purchases. I = G(t_x) - G(T) is formed in logs. Derivatives with respect to (c, a1, b1, m, rho)
are summed term by term in the same loop, so the gradient is analytic. Endpoints whose series would
need more than MAX_TERMS terms (z within ~1e-2 of 1: alpha and beta a hundred times apart)
fall back to adaptive quadrature of G and its derivative integrals.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy import integrate

#: The series stops when the remaining tail is below this share of the sum.
TOL = 1e-17
#: Terms before a row is handed to the quadrature fallback.
MAX_TERMS = 2000


def _z_limits(pmin: float) -> np.ndarray:
    """limits[k]: the largest z whose series is converged after k terms, k = 0..MAX_TERMS.

    Solves z^k (k+1) C / (1-z)^2 = TOL with C = 1 + 1/pmin + log(k+1), which bounds the tails
    of S, dS/dp, dS/dq and dS/dz (terms are positive and at most z^k). ``pmin`` is rounded
    down to a power of 2^(1/4) (a slightly stricter bound) so the table is cached.
    """
    return _z_limits_cached(round(math.floor(4.0 * math.log2(pmin)) / 4.0, 6))


@functools.lru_cache(maxsize=64)
def _z_limits_cached(log2_pmin: float) -> np.ndarray:
    pmin = 2.0**log2_pmin
    k = np.arange(MAX_TERMS + 1, dtype=float)
    c = np.log(k + 1.0) + np.log(1.0 + 1.0 / pmin + np.log(k + 1.0)) - math.log(TOL)
    lo, hi = np.zeros_like(k), np.ones_like(k)
    for _ in range(60):  # bisection on all k at once
        mid = 0.5 * (lo + hi)
        over = k * np.log(mid) + c - 2.0 * np.log1p(-mid) > 0.0
        hi = np.where(over, mid, hi)
        lo = np.where(over, lo, mid)
    lo.flags.writeable = False
    return lo


def series(p: np.ndarray, q: np.ndarray, z: np.ndarray, grad: bool = True):
    """S = sum_k (p)_k/(q)_k z^k with dS/dp, dS/dq, dS/dz, for 0 <= z < 1 and 0 < p < q.

    ``z`` must be sorted in decreasing order: the rows still summing after k terms are then a
    prefix, found from a bound instead of tested row by row. Returns (S, Sp, Sq, Sz, done);
    rows that would need more than MAX_TERMS terms are skipped and marked not done. Without
    ``grad`` only S is summed (Sp, Sq, Sz stay 0).
    """
    n = z.shape[0]
    S, Sp, Sq, Sz = np.ones(n), np.zeros(n), np.zeros(n), np.zeros(n)
    done = np.ones(n, dtype=bool)
    if n == 0:
        return S, Sp, Sq, Sz, done
    p = np.broadcast_to(p, z.shape)
    q = np.broadcast_to(q, z.shape)
    limits = _z_limits(float(p.min()))
    neg_z = -z
    skip = int(np.searchsorted(neg_z, -limits[-1], side="left"))  # rows with z > limit
    done[:skip] = False
    u = p / q  # d_k z^(k-1) at k = 1
    hp = 1.0 / p  # sum_{j<k} 1/(p+j)
    hq = 1.0 / q
    t, tmp, pk, qk = (np.empty(n) for _ in range(4))
    k, m = 1, int(np.searchsorted(neg_z, -limits[1], side="left"))
    while m > skip:
        sl = slice(skip, m)
        zz, uu, hpp, hqq = z[sl], u[sl], hp[sl], hq[sl]
        tt, tm, pkk, qkk = t[sl], tmp[sl], pk[sl], qk[sl]
        np.multiply(uu, zz, out=tt)
        S[sl] += tt
        if grad:
            np.multiply(tt, hpp, out=tm)
            Sp[sl] += tm
            np.multiply(tt, hqq, out=tm)
            Sq[sl] -= tm
            np.multiply(uu, k, out=tm)
            Sz[sl] += tm
        np.add(p[sl], k, out=pkk)
        np.add(q[sl], k, out=qkk)
        np.divide(pkk, qkk, out=tm)
        tm *= zz
        uu *= tm
        if grad:
            np.reciprocal(pkk, out=pkk)
            hpp += pkk
            np.reciprocal(qkk, out=qkk)
            hqq += qkk
        k += 1
        m = int(np.searchsorted(neg_z, -limits[k], side="left")) if k <= MAX_TERMS else skip
    return S, Sp, Sq, Sz, done


def log_g(c, a1, b1, m, m_small, rho, t, *, grad: bool):
    """log G(t) and its partials with respect to (c, a1, b1, m, rho); see the module docstring.

    ``m_small`` = min(alpha, beta) gives 1 - z = (m_small + t)/(m + t) without cancellation.
    Returns (lG, partials or None, ln S, done).
    """
    log_mt = np.log(m + t)
    w0 = 1.0 / (m + t)
    z = rho * w0
    log_1mz = np.log(m_small + t) - log_mt
    S, Sp, Sq, Sz, done = series(a1, c + 1.0, z, grad)
    log_s = np.log(S)
    lg = -c * log_mt - np.log(c) + (1.0 - b1) * log_1mz + log_s
    if not grad:
        return lg, None, log_s, done
    d_c = -log_mt - 1.0 / c + Sq / S
    d_a1 = Sp / S
    d_b1 = -log_1mz
    k = (b1 - 1.0) / (1.0 - z) + Sz / S
    d_m = -c * w0 - k * z * w0
    d_rho = k * w0
    return lg, (d_c, d_a1, d_b1, d_m, d_rho), log_s, done


def quadrature_log_g(r, al, s, be, x, t):
    """log G(t) = log of the integral over [t, inf) of (alpha+tau)^-(r+x) (beta+tau)^-(s+1),
    and its derivatives with respect to (r, alpha, s, beta), by adaptive quadrature.

    The fallback for endpoints whose series would be too long. The variable is
    v = log((m' + tau)/(m' + t)), m' = min(alpha, beta), which turns the power-law tail into an
    exponential one and spreads out the steep start near a small rate.
    """
    small = min(al, be)
    a1, b1 = r + x, s + 1.0
    log_f0 = -a1 * math.log(al + t) - b1 * math.log(be + t)

    def integrand(v: float) -> np.ndarray:
        tau = (small + t) * math.exp(v) - small
        la, lb = math.log(al + tau), math.log(be + tau)
        f = math.exp(-a1 * la - b1 * lb - log_f0) * (tau + small)
        return np.array([f, -la * f, -a1 * f / (al + tau), -lb * f, -b1 * f / (be + tau)])

    # past tau ~ max(alpha, beta) the integrand falls like exp(-(r+s+x) v): stop where the tail
    # is below ~1e-17 (or at the float range, which only clips it when r + s < 0.05)
    upper = min(700.0, math.log((max(al, be) + t) / (small + t)) + 40.0 / (r + s + x))
    values, _ = integrate.quad_vec(integrand, 0.0, upper, epsrel=1e-13, epsabs=0.0, limit=500)
    return log_f0 + math.log(values[0]), values[1:] / values[0]
