"""Seeded simulators of each model's story, for simulate-and-recover tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from holdfast.models import FitResult


def assert_recovers(results: Sequence[FitResult], truth: Mapping[str, float]) -> None:
    """Seeded replicates: each 95 % interval covers the truth in at least 17 of 20 (a correct
    interval fails this about 2 % of the time; these seeds are fixed), and the mean estimate is
    within three standard errors of the mean of the truth."""
    assert all(r.converged for r in results)
    for name, value in truth.items():
        covered = sum(r.intervals[name][0] < value < r.intervals[name][1] for r in results)
        assert covered >= 17 * len(results) / 20, (name, covered)
        estimates = np.array([r.params[name] for r in results])
        stderr = np.array([r.stderr[name] for r in results])
        assert np.all(stderr > 0)
        assert abs(estimates.mean() - value) < 3 * stderr.mean() / np.sqrt(len(results)), name


def _ages(rng: np.random.Generator, n: int, t_max: float) -> np.ndarray:
    return rng.uniform(0.25 * t_max, t_max, n)


def bgnbd(n: int, r, alpha, a, b, t_max: float, seed: int, modified: bool = False):
    """BG/NBD (or MBG/NBD) customers: Poisson purchases, dropout after each repeat purchase
    (and, for the MBG/NBD, also right after the first)."""
    rng = np.random.default_rng(seed)
    T = _ages(rng, n, t_max)
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    last = rng.geometric(p) - (1 if modified else 0)  # repeat purchases made before dropping
    total = rng.poisson(lam * T)
    x = np.minimum(total, last)
    # the x-th of `total` uniform purchase times on (0, T]
    tx = np.where(x > 0, rng.beta(np.maximum(x, 1), np.maximum(total - x + 1, 1)) * T, 0.0)
    return x.astype(float), tx, T


def paretonbd(n: int, r, alpha, s, beta, t_max: float, seed: int):
    """Pareto/NBD customers: Poisson purchases until an exponential death time."""
    rng = np.random.default_rng(seed)
    T = _ages(rng, n, t_max)
    lam = rng.gamma(r, 1.0 / alpha, n)
    mu = rng.gamma(s, 1.0 / beta, n)
    alive_for = np.minimum(rng.exponential(1.0 / mu), T)
    x = rng.poisson(lam * alive_for)
    tx = np.where(x > 0, rng.beta(np.maximum(x, 1), 1.0) * alive_for, 0.0)
    return x.astype(float), tx, T


def gammagamma(n: int, p, q, gamma, seed: int):
    """Repeat customers' order counts and mean order values."""
    rng = np.random.default_rng(seed)
    x = 1.0 + rng.poisson(2.0, n)
    nu = rng.gamma(q, 1.0 / gamma, n)
    m = rng.gamma(p * x, 1.0 / nu) / x
    return x, m


def sbg(n: int, alpha, beta, periods: int, seed: int):
    """Contract durations censored after ``periods`` renewals."""
    rng = np.random.default_rng(seed)
    theta = rng.beta(alpha, beta, n)
    churn = rng.geometric(theta)
    churned = churn <= periods
    return np.where(churned, churn, periods).astype(float), churned


def bgbb(n: int, alpha, beta, gamma, delta, periods: int, seed: int):
    """BG/BB customers: dead from opportunity D ~ Geometric(theta) on, transacting with p."""
    rng = np.random.default_rng(seed)
    p = rng.beta(alpha, beta, n)
    death = rng.geometric(rng.beta(gamma, delta, n))
    buys = rng.random((n, periods)) < p[:, None]
    alive = np.arange(1, periods + 1)[None, :] < death[:, None]
    events = buys & alive
    x = events.sum(axis=1).astype(float)
    last = np.where(x > 0, periods - np.argmax(events[:, ::-1], axis=1), 0).astype(float)
    return x, last, np.full(n, float(periods))
