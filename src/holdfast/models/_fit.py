"""Shared maximum-likelihood machinery: row compression, multi-start optimisation, standard
errors and intervals.

Every model hands :func:`fit_model` a :class:`Likelihood`: the total weighted log-likelihood
and its analytic gradient (optionally Hessian) in log-parameter space, on data whose time (or
money) axis has been rescaled so that parameters start near 1. The optimiser is L-BFGS-B with
the analytic gradient, polished by Newton steps on the Hessian (analytic, or finite differences
of the analytic gradient), which gives the maximum to many more digits than the papers print.
Large inputs are first fitted on a fixed random sample of customers to get a warm start.
Standard errors come from the observed information; see docs/models.md.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd
from scipy import optimize

from holdfast.errors import FitWarning
from holdfast.models.result import FitResult

#: Log-parameters are kept within +-BOUND (scaled units); reaching it means "ran off".
BOUND = 20.0
#: z for a two-sided 95 % interval.
Z95 = 1.959963984540054
#: Above this many distinct rows, a subset is fitted first to warm-start the full fit.
WARM_START_ROWS = 50_000
WARM_SAMPLE_ROWS = 20_000
#: Rows per chunk when a likelihood is evaluated in pieces (bounds temporary memory).
CHUNK = 1 << 16


class Likelihood(Protocol):
    """Total weighted log-likelihood of one data set in log-parameter space (scaled units).

    ``analytic_hessian`` (optional, default False) says whether ``evaluate(u, 2)`` returns one.
    """

    n_rows: int
    w: np.ndarray  # row weights (numbers of identical customers)

    def evaluate(self, u: np.ndarray, order: int) -> tuple[float, np.ndarray, np.ndarray | None]:
        """(log-likelihood, gradient, Hessian or None) with respect to the log-parameters ``u``.

        ``order`` 1 asks for the gradient, 2 also for the Hessian; a likelihood without an
        analytic Hessian returns None and the Hessian is taken by finite differences.
        """
        ...

    def subset(self, rows: np.ndarray, weights: np.ndarray) -> Likelihood:
        """The same likelihood on some of the rows, with new weights."""
        ...


def chunks(n: int) -> range:
    """Start offsets of row chunks of size :data:`CHUNK`."""
    return range(0, n, CHUNK)


# ----------------------------------------------------------------------------- compression


def compress(
    columns: Sequence[np.ndarray], weights: np.ndarray
) -> tuple[list[np.ndarray], np.ndarray]:
    """Merge identical rows (exact equality of every column), summing their weights.

    Rows with weight 0 are dropped; the merged rows come sorted. Hash-based
    (pandas.factorize), linear in the rows (the sort is of the distinct rows). When a
    random sample shows the rows are nearly all distinct (continuous times), merging cannot pay
    for itself and the rows are returned as they are.
    """
    keep = weights > 0
    if not keep.all():
        columns = [c[keep] for c in columns]
        weights = weights[keep]
    n = weights.shape[0]
    if n < 2 or not _worth_compressing(columns, n):
        return list(columns), weights
    codes = _row_codes(columns)
    first = np.flatnonzero(np.diff(np.maximum.accumulate(codes), prepend=-1) > 0)
    merged = np.bincount(codes, weights=weights, minlength=first.shape[0])
    # distinct rows in sorted order, not in order of appearance: the likelihood's sums then
    # run in the same order whatever the order of the customers, and so does the fit
    distinct = [c[first] for c in columns]
    order = np.lexsort(distinct[::-1])
    return [c[order] for c in distinct], merged[order]


def _row_codes(columns: Sequence[np.ndarray]) -> np.ndarray:
    """Dense row ids numbered in order of first appearance."""
    codes: np.ndarray | None = None
    for column in columns:
        col_codes, uniques = pd.factorize(column)
        if codes is None:
            codes = col_codes.astype(np.int64)
        else:
            codes, _ = pd.factorize(codes * len(uniques) + col_codes)
            codes = codes.astype(np.int64)
    assert codes is not None
    return codes


def _worth_compressing(columns: Sequence[np.ndarray], n: int, sample: int = 65_536) -> bool:
    """Estimate the number of distinct rows from collisions in a seeded random sample."""
    if n <= 4 * sample:
        return True
    rows = np.random.default_rng(0).choice(n, size=sample, replace=False)
    codes = _row_codes([c[rows] for c in columns])
    collisions = sample - (int(codes.max()) + 1)
    if collisions == 0:
        return False
    distinct = sample * sample / (2.0 * collisions)
    return distinct < 0.5 * n


# ----------------------------------------------------------------------------- optimisation


@dataclass
class Optimum:
    """Where the optimiser stopped, in scaled log-parameters."""

    u: np.ndarray
    loglik: float
    hessian: np.ndarray
    converged: bool
    objective: float = math.inf
    gradient: float = math.inf
    messages: list[str] = field(default_factory=list)


class _Objective:
    """Mean negative log-likelihood plus the L2 penalty on log-parameters."""

    def __init__(self, lik: Likelihood, total: float, penalizer: float):
        self.lik, self.total, self.penalizer = lik, total, penalizer
        self.analytic = bool(getattr(lik, "analytic_hessian", False))

    def __call__(self, u: np.ndarray, order: int = 1):
        with np.errstate(all="ignore"):
            ll, grad, hess = self.lik.evaluate(u, order)
        if not (math.isfinite(ll) and np.all(np.isfinite(grad))):
            return 1e100, 2.0 * u, None  # outside the numerically sensible region: push back
        value = -ll / self.total + self.penalizer * float(u @ u)
        gobj = -grad / self.total + 2.0 * self.penalizer * u
        if hess is not None:
            hess = -hess / self.total + 2.0 * self.penalizer * np.eye(u.shape[0])
        return value, gobj, hess

    def scipy(self, u: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad, _ = self(u)
        return value, grad

    def hessian(self, u: np.ndarray, grad: np.ndarray | None = None) -> np.ndarray:
        """Hessian of the objective: analytic, or differences of the analytic gradient
        (forward differences when the gradient at ``u`` is given, central otherwise)."""
        if self.analytic:
            hess = self(u, 2)[2]
            if hess is not None:
                return hess
        k = u.shape[0]
        hess = np.empty((k, k))
        for j in range(k):
            step = (1e-6 if grad is not None else 1e-5) * max(1.0, abs(u[j]))
            up = u.copy()
            up[j] += step
            if grad is not None:
                hess[:, j] = (self(up)[1] - grad) / step
            else:
                down = u.copy()
                down[j] -= step
                hess[:, j] = (self(up)[1] - self(down)[1]) / (2 * step)
        return 0.5 * (hess + hess.T)

    def loglik(self, u: np.ndarray, value: float) -> float:
        return -(value - self.penalizer * float(u @ u)) * self.total


def _lbfgs(obj: _Objective, start: np.ndarray, precise: bool) -> optimize.OptimizeResult:
    bounds = [(-BOUND, BOUND)] * start.shape[0]
    tol = {"ftol": 1e-15, "gtol": 1e-10} if precise else {"ftol": 1e-11, "gtol": 1e-7}
    return optimize.minimize(
        obj.scipy,
        np.clip(start, -BOUND + 1e-9, BOUND - 1e-9),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 1000, "maxcor": 20, **tol},
    )


def _polish(obj: _Objective, u: np.ndarray, hess0: np.ndarray | None, steps: int = 40):
    """Newton steps from ``u`` (analytic Hessian) or BFGS steps starting from ``hess0``.

    Returns (u, objective, gradient). Steps are halved until the objective does not rise.
    """
    f, g, h = obj(u, 2)
    analytic = h is not None
    if not analytic:
        h = hess0 if hess0 is not None else obj.hessian(u)
    for _ in range(steps):
        if np.max(np.abs(g)) < 1e-10:
            break
        try:
            np.linalg.cholesky(h)
            step = -np.linalg.solve(h, g)
        except np.linalg.LinAlgError:
            break
        for shrink in (1.0, 0.5, 0.25, 0.125, 0.0625):
            trial = np.clip(u + shrink * step, -BOUND, BOUND)
            f_new, g_new, h_new = obj(trial, 2 if analytic else 1)
            if f_new <= f + 1e-15 * abs(f):
                break
        else:
            break
        s_vec, y_vec = trial - u, g_new - g
        u, f, g = trial, f_new, g_new
        if analytic:
            h = h_new
        elif s_vec @ y_vec > 0:
            hs = h @ s_vec
            h = h + np.outer(y_vec, y_vec) / (y_vec @ s_vec) - np.outer(hs, hs) / (s_vec @ hs)
        if np.max(np.abs(s_vec)) < 1e-13:
            break
    return u, f, g


def _finish(obj: _Objective, u: np.ndarray, f: float, g: np.ndarray, precise: bool) -> Optimum:
    forward = not precise or obj.lik.n_rows > WARM_START_ROWS
    hess_obj = obj.hessian(u, g if forward else None)
    hess_ll = -(hess_obj - 2.0 * obj.penalizer * np.eye(u.shape[0])) * obj.total
    gnorm = float(np.max(np.abs(g)))
    ll = obj.loglik(u, f)
    ok = math.isfinite(ll) and gnorm < (1e-6 if precise else 1e-4)
    return Optimum(u=u, loglik=ll, hessian=hess_ll, converged=ok, objective=f, gradient=gnorm)


def maximize(
    lik: Likelihood,
    starts: Sequence[np.ndarray],
    *,
    total: float,
    penalizer: float,
    precise: bool = True,
) -> Optimum:
    """Maximise the penalised log-likelihood from several starts; the first success wins.

    With many rows, a rough fit on a seeded random subset of rows gives the start, and Newton
    (or BFGS from the subset's Hessian) finishes on all rows. Otherwise each start runs
    L-BFGS-B then Newton/BFGS polishing. A start fails when the log-likelihood is not finite
    or the gradient at the end is not small. ``precise=False`` stops early (warm starts).
    """
    obj = _Objective(lik, total, penalizer)
    starts = [np.asarray(s, dtype=float) for s in starts]
    if precise and lik.n_rows > WARM_START_ROWS:
        # customers, not distinct rows, are sampled: a row is drawn in proportion to its weight
        drawn = np.random.default_rng(0).choice(
            lik.n_rows, WARM_SAMPLE_ROWS, replace=True, p=lik.w / lik.w.sum()
        )
        rows, counts = np.unique(drawn, return_counts=True)
        sub = lik.subset(rows, counts.astype(float))
        warm = maximize(sub, starts, total=WARM_SAMPLE_ROWS, penalizer=penalizer, precise=False)
        if warm.converged:
            hess0 = -warm.hessian / WARM_SAMPLE_ROWS + 2.0 * penalizer * np.eye(len(warm.u))
            u, f, g = _polish(obj, warm.u, hess0)
            done = _finish(obj, u, f, g, precise)
            if done.converged:
                return done
            starts = [warm.u, *starts]
    best: Optimum | None = None
    for start in starts:
        result = _lbfgs(obj, start, precise)
        if result.fun >= 1e99:
            continue
        if precise:
            u, f, g = _polish(obj, result.x, None)
        else:
            u, f, g = result.x, float(result.fun), result.jac
        candidate = _finish(obj, u, f, g, precise)
        if best is None or (candidate.converged, -candidate.objective) > (
            best.converged,
            -best.objective,
        ):
            best = candidate
        if candidate.converged:
            break
    if best is None:
        u = starts[0]
        k = len(u)
        best = Optimum(u=u, loglik=math.nan, hessian=np.full((k, k), np.nan), converged=False)
        best.messages.append("the log-likelihood was not finite from any start")
    elif not best.converged:
        best.messages.append(
            f"the fit did not converge from {len(starts)} start(s): the optimiser stopped with "
            f"gradient {best.gradient:.2g} at the best one, so the estimates may be off"
        )
    return best


# ----------------------------------------------------------------------------- results


def fit_model(
    *,
    model: str,
    names: Sequence[str],
    lik: Likelihood,
    starts: Sequence[np.ndarray],
    total: float,
    penalizer: float,
    log_scale: Sequence[float],
    loglik_offset: float,
    n_customers: float,
    messages: list[str],
    stacklevel: int = 3,
) -> FitResult:
    """Fit and package a :class:`FitResult` with natural-scale parameters and 95 % intervals.

    ``log_scale[j]`` is added to log-parameter j to undo the data scaling (for example
    ``-log(scale)`` for a rate parameter alpha whose time axis was multiplied by ``scale``);
    ``loglik_offset`` turns the scaled log-likelihood into the one on the caller's units;
    ``stacklevel`` points FitWarnings at the caller of the public ``fit``.
    """
    opt = maximize(lik, starts, total=total, penalizer=penalizer)
    messages = [*messages, *opt.messages]
    shift = np.asarray(log_scale, dtype=float)
    log_params = opt.u + shift
    params = {name: float(math.exp(v)) for name, v in zip(names, log_params, strict=True)}
    info = -opt.hessian + 2.0 * penalizer * total * np.eye(len(names))
    se_u, flat = _log_standard_errors(info, names)
    messages += flat
    at_bound = [n for n, v in zip(names, opt.u, strict=True) if abs(v) > BOUND - 1e-3]
    converged = opt.converged
    if lik.n_rows < len(names):
        converged = False
        messages.append(
            f"the likelihood is flat: {lik.n_rows} distinct customer row(s) cannot pin down "
            f"{len(names)} parameters"
        )
    if at_bound:
        converged = False
        for name in at_bound:
            messages.append(
                f"parameter {name} ran off to {params[name]:.3g}: the data cannot pin it down "
                "(try a penalizer, or check the data)"
            )
    stderr = {n: params[n] * float(s) for n, s in zip(names, se_u, strict=True)}
    intervals = {
        n: (_exp_or_inf(v - Z95 * s), _exp_or_inf(v + Z95 * s))
        for n, v, s in zip(names, log_params, se_u, strict=True)
    }
    for text in messages:
        warnings.warn(f"{model}: {text}", FitWarning, stacklevel=stacklevel)
    return FitResult(
        model=model,
        params=params,
        loglik=float(opt.loglik + loglik_offset),
        stderr=stderr,
        intervals=intervals,
        converged=converged,
        n_customers=float(n_customers),
        n_rows=int(lik.n_rows),
        penalizer=float(penalizer),
        messages=messages,
    )


def _exp_or_inf(value: float) -> float:
    """exp(value), inf where it overflows (an interval that is unbounded in practice)."""
    return math.exp(value) if value < 709.0 else math.inf


def _log_standard_errors(info: np.ndarray, names: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Standard errors of the log-parameters from the observed information, or NaN if flat."""
    k = len(names)
    nan = np.full(k, np.nan)
    if not np.all(np.isfinite(info)):
        return nan, ["the information matrix is not finite: standard errors are not available"]
    eigval, eigvec = np.linalg.eigh(info)
    if eigval[0] <= 1e-10 * max(eigval[-1], 1e-300):
        weak = eigvec[:, 0]
        involved = [n for n, c in zip(names, weak, strict=True) if abs(c) > 0.3]
        return nan, [
            "the likelihood is flat (or not a maximum) along a combination of "
            + ", ".join(involved)
            + ": the data cannot tell these parameters apart, standard errors are not available"
        ]
    cov = np.linalg.inv(info)
    return np.sqrt(np.diag(cov)), []


def scale_for(values: np.ndarray, weights: np.ndarray) -> float:
    """A data scale that maps the largest positive value to 1 (1 if there is none)."""
    positive = values[weights > 0]
    top = float(positive.max()) if positive.size else 0.0
    return 1.0 / top if top > 0 else 1.0
