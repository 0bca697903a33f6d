"""Pareto/NBD log-likelihood and its analytic gradient (Fader & Hardie 2005, note 009, eq. 18).

Per customer, with the death-term integral I of :mod:`._pareto_integral`,

    ln L = ln G(r+x) - ln G(r) + r ln alpha + s ln beta + ln[ A0 + s I ],
    A0   = (alpha + T)^-(r+x) (beta + T)^-s         (alive at T),

the bracket formed by log-sum-exp. The integral's two endpoints depend on (x, t_x) and (x, T)
only, so each is computed once per distinct pair.
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, expit, gammaln

from holdfast.models import _pareto_integral as pint
from holdfast.models._common import dot, softplus
from holdfast.models._fit import CHUNK, _row_codes, _worth_compressing, chunks


class _Endpoints:
    """Distinct (x, t) pairs sorted by t (so z = rho/(m+t) decreases), and row -> pair index.

    ``index`` is None when the rows themselves are distinct and already sorted by t.
    """

    def __init__(self, x: np.ndarray, t: np.ndarray):
        index = None
        if x.shape[0] > 1 and _worth_compressing([x, t], x.shape[0]):
            codes = _row_codes([x, t])
            first = np.flatnonzero(np.diff(np.maximum.accumulate(codes), prepend=-1) > 0)
            x, t, index = x[first], t[first], codes
        if np.any(t[1:] < t[:-1]):
            order = np.argsort(t, kind="stable")
            position = np.empty_like(order)
            position[order] = np.arange(order.shape[0])
            x, t = x[order], t[order]
            index = position if index is None else position[index]
        self.x, self.t, self.index = x, t, index

    def gather(self, values: np.ndarray) -> np.ndarray:
        return values if self.index is None else values[..., self.index]


class ParetoLikelihood:
    """Total weighted Pareto/NBD log-likelihood in log-parameters (r, alpha, s, beta)."""

    def __init__(self, x: np.ndarray, tx: np.ndarray, T: np.ndarray, w: np.ndarray):
        if np.any(T[1:] < T[:-1]):  # rows in T order: the (x, T) endpoints need no gather
            order = np.argsort(T, kind="stable")
            x, tx, T, w = x[order], tx[order], T[order], w[order]
        self.x, self.tx, self.T, self.w = x, tx, T, w
        self.n_rows = int(w.shape[0])
        counts = np.bincount(x.astype(np.int64), weights=w)
        self.ux = np.flatnonzero(counts > 0).astype(np.float64)
        self.wx = counts[counts > 0]
        self.total = float(w.sum())
        self.end1 = _Endpoints(x, tx)
        self.end2 = _Endpoints(x, T)

    def subset(self, rows: np.ndarray, weights: np.ndarray) -> ParetoLikelihood:
        return ParetoLikelihood(self.x[rows], self.tx[rows], self.T[rows], weights)

    def evaluate(self, u: np.ndarray, order: int):
        """Log-likelihood and gradient with respect to log-parameters (no analytic Hessian)."""
        r, al, s, be = theta = np.exp(u)
        ux, wx = self.ux, self.wx
        value = dot(wx, gammaln(r + ux) - gammaln(r)) + self.total * (
            r * np.log(al) + s * np.log(be)
        )
        grad = np.array(
            [
                dot(wx, digamma(r + ux) - digamma(r)) + self.total * np.log(al),
                self.total * r / al,
                self.total * np.log(be),
                self.total * s / be,
            ]
        )
        rows_value, rows_grad = row_terms(
            r, al, s, be, self.x, self.tx, self.T, self.end1, self.end2, grad=True, w=self.w
        )
        return value + rows_value, theta * (grad + rows_grad), None


def _branch(r, al, s, be, x):
    """Expansion point and exponents: around max(alpha, beta), the F&H two-branch choice."""
    if al >= be:
        return al, be, al - be, r + x, np.full_like(x, s + 1.0), True
    return be, al, be - al, np.full_like(x, s + 1.0), r + x, False


def _end_block(r, al, s, be, x, t, grad: bool):
    """log G(t), its derivatives with respect to (r, alpha, s, beta) and log S, for one block
    of endpoints sorted by t; series, or quadrature where the series would be too long."""
    m, small, rho, a1, b1, around_alpha = _branch(r, al, s, be, x)
    c = r + s + x
    lg, parts, log_s, ok = pint.log_g(c, a1, b1, m, small, rho, t, grad=grad)
    d = None
    if grad:
        d_c, d_a1, d_b1, d_m, d_rho = parts
        if around_alpha:
            d = np.stack([d_c + d_a1, d_m + d_rho, d_c + d_b1, -d_rho])
        else:
            d = np.stack([d_c + d_b1, -d_rho, d_c + d_a1, d_m + d_rho])
    for i in np.flatnonzero(~ok):  # then log S consistent with log_g's definition
        lg[i], d_i = pint.quadrature_log_g(r, al, s, be, float(x[i]), float(t[i]))
        log_1mz = np.log(small + t[i]) - np.log(m + t[i])
        log_s[i] = lg[i] + c[i] * np.log(m + t[i]) + np.log(c[i]) - (1.0 - b1[i]) * log_1mz
        if grad:
            d[:, i] = d_i
    return lg, d, log_s


def _end_terms(r, al, s, be, ends: _Endpoints, grad: bool):
    """_end_block over all distinct endpoints, block by block."""
    n = ends.x.shape[0]
    lg, log_s = np.empty(n), np.empty(n)
    d = np.empty((4, n)) if grad else None
    for start in chunks(n):
        sl = slice(start, start + CHUNK)
        lg[sl], d_block, log_s[sl] = _end_block(r, al, s, be, ends.x[sl], ends.t[sl], grad)
        if grad:
            d[:, sl] = d_block
    return lg, d, log_s


def _pick(values, ends: _Endpoints, sl: slice):
    return None if values is None else values[..., ends.index[sl]]


def row_terms(r, al, s, be, x, tx, T, end1: _Endpoints, end2: _Endpoints, *, grad, w=None):
    """ln(A0 + s I) per row and, with ``grad``, its derivatives (4 x rows); with weights ``w``
    only their weighted sums (no per-row arrays, so memory stays a few blocks)."""
    lg1u, d1u, ls1u = (
        _end_terms(r, al, s, be, end1, grad)
        if end1.index is not None
        else (
            None,
            None,
            None,
        )
    )
    e2 = _end_terms(r, al, s, be, end2, grad) if end2.index is not None else None
    n = x.shape[0]
    total, total_grad = 0.0, np.zeros(4)
    b = np.empty(n) if w is None else None
    db = np.empty((4, n)) if (w is None and grad) else None
    for start in chunks(n):
        sl = slice(start, start + CHUNK)
        if end1.index is None:
            lg1, d1, ls1 = _end_block(r, al, s, be, x[sl], tx[sl], grad)
        else:
            lg1, d1, ls1 = _pick(lg1u, end1, sl), _pick(d1u, end1, sl), _pick(ls1u, end1, sl)
        if e2 is None:
            _, d2, ls2 = _end_block(r, al, s, be, x[sl], T[sl], grad)
        else:
            d2, ls2 = _pick(e2[1], end2, sl), _pick(e2[2], end2, sl)
        b_blk, db_blk = _row_block(r, al, s, be, x[sl], tx[sl], T[sl], lg1, d1, ls1, d2, ls2)
        if w is None:
            b[sl] = b_blk
            if grad:
                db[:, sl] = db_blk
        else:
            total += dot(w[sl], b_blk)
            if grad:
                total_grad += np.einsum("ij,j->i", db_blk, w[sl])
    return (b, db) if w is None else (total, total_grad)


def _row_block(r, al, s, be, x, tx, T, lg1, d1, ls1, d2, ls2):
    m, small, _, _, b1, _ = _branch(r, al, s, be, x)
    rx = r + x
    gap = T - tx
    # lG(t_x) - lG(T) without cancellation when t_x is close to T
    lm = np.log1p(gap / (m + tx))
    delta = (rx + s) * lm + (1.0 - b1) * (lm - np.log1p(gap / (small + tx))) + ls1 - ls2
    np.maximum(delta, 0.0, out=delta)  # G(t_x) >= G(T): only rounding can dip below
    em = -np.expm1(-delta)  # 1 - exp(-delta) = I / G(t_x)
    la, lb = np.log(al + T), np.log(be + T)
    log_a0 = -rx * la - s * lb
    with np.errstate(divide="ignore"):
        diff = (np.log(s) + lg1 + np.log(em)) - log_a0
    b = log_a0 + softplus(diff)
    if d1 is None:
        return b, None
    pi = expit(diff)  # share of the "died in (t_x, T]" term
    scale = np.divide(pi, em, out=np.zeros_like(pi), where=em > 0)
    db = d1 - (1.0 - em) * d2
    db *= scale
    keep = 1.0 - pi
    db[0] -= keep * la
    db[1] -= keep * rx / (al + T)
    db[2] += pi / s - keep * lb
    db[3] -= keep * s / (be + T)
    return b, db
