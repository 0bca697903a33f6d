"""Pareto/NBD: published CDNOW numbers, mpmath and lifetimes as oracles, extremes."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
from model_sim import assert_recovers
from model_sim import paretonbd as simulate

from holdfast.models import paretonbd
from holdfast.models._pareto_lik import ParetoLikelihood

# Fader & Hardie's note on implementing the Pareto/NBD (CDNOW sample, 39 weeks) and
# ../shared/data/cdnow/README.md: r = 0.553, alpha = 10.58, s = 0.606, beta = 11.67,
# LL = -9594.98 (from the raw transactions; the rounded published summary gives -9594.97).
PUBLISHED = {"r": (0.553, 3), "alpha": (10.58, 2), "s": (0.606, 3), "beta": (11.67, 2)}
PUBLISHED_LL = -9594.98
# Standard errors of the same fit reported by CLVTools (an independent implementation).
CLVTOOLS_SE = {"r": 0.0476264, "alpha": 0.8427222, "s": 0.1872594, "beta": 6.2105448}
TRUTH = {"r": 0.55, "alpha": 10.0, "s": 0.6, "beta": 12.0}


@pytest.fixture(scope="module")
def fitted(cdnow):
    return paretonbd.ParetoNBD().fit(cdnow.x, cdnow.t_x, cdnow.T)


def test_published_cdnow_estimates(fitted):
    for name, (value, digits) in PUBLISHED.items():
        assert round(fitted.params[name], digits) == value, name
    assert round(fitted.loglik, 2) == PUBLISHED_LL
    assert fitted.converged and not fitted.messages
    for name, se in CLVTOOLS_SE.items():
        assert fitted.stderr[name] == pytest.approx(se, rel=2e-3)


def test_loglik_invariant(fitted, cdnow):
    per_customer = paretonbd.loglik(fitted.params, cdnow.x, cdnow.t_x, cdnow.T)
    assert per_customer.sum() == pytest.approx(fitted.loglik, rel=1e-12)


def _mp_loglik(params, x, tx, T):
    """Fader & Hardie's closed form (note 009, eq. 22) in 40-digit arithmetic."""
    mp.mp.dps = 40
    r, al, s, be = (mp.mpf(params[k]) for k in ("r", "alpha", "s", "beta"))
    x, tx, T = mp.mpf(x), mp.mpf(tx), mp.mpf(T)
    c = r + s + x
    if al >= be:

        def g(t):
            return (al + t) ** (-c) * mp.hyp2f1(c, s + 1, c + 1, (al - be) / (al + t))

    else:

        def g(t):
            return (be + t) ** (-c) * mp.hyp2f1(c, r + x, c + 1, (be - al) / (be + t))

    bracket = (al + T) ** (-(r + x)) * (be + T) ** (-s) + s / c * (g(tx) - g(T))
    return float(
        mp.loggamma(r + x) - mp.loggamma(r) + r * mp.log(al) + s * mp.log(be) + mp.log(bracket)
    )


@pytest.mark.parametrize(
    "params",
    [
        {"r": 0.55, "alpha": 10.6, "s": 0.6, "beta": 11.7},
        {"r": 2.0, "alpha": 0.5, "s": 3.0, "beta": 80.0},
        {"r": 0.5, "alpha": 1e4, "s": 0.5, "beta": 1e-3},  # z ~ 1: quadrature fallback
        {"r": 0.3, "alpha": 1e-5, "s": 2.0, "beta": 1e5},
    ],
)
def test_loglik_matches_high_precision_closed_form(params):
    rows = [(0, 0, 50), (3, 1, 50), (40, 30, 100), (500, 100, 100.0001), (5, 49.99999, 50)]
    ours = paretonbd.loglik(params, *(np.array(col, float) for col in zip(*rows, strict=True)))
    ref = np.array([_mp_loglik(params, *row) for row in rows])
    np.testing.assert_allclose(ours, ref, rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize(
    "u",
    [np.log([0.55, 0.27, 0.6, 0.3]), np.log([0.5, 0.05, 0.6, 0.5]), np.log([3, 1e-3, 0.6, 0.5])],
)
def test_gradient_matches_finite_differences(cdnow, u):
    lik = ParetoLikelihood(cdnow.x, cdnow.t_x / 39, cdnow.T / 39, np.ones(2357))
    _, grad, _ = lik.evaluate(u, 1)

    def central(j: int, step: float) -> float:
        e = np.eye(4)[j] * step
        return (lik.evaluate(u + e, 1)[0] - lik.evaluate(u - e, 1)[0]) / (2 * step)

    for j in range(4):  # Richardson extrapolation of central differences
        numeric = (4 * central(j, 5e-4) - central(j, 1e-3)) / 3
        assert grad[j] == pytest.approx(numeric, rel=1e-7, abs=1e-7)


def test_lifetimes_oracle_cdnow(fitted, cdnow, lifetimes):
    lt = lifetimes.ParetoNBDFitter().fit(cdnow.x, cdnow.t_x, cdnow.T, tol=1e-12, maxiter=20000)
    for name in TRUTH:
        assert fitted.params[name] == pytest.approx(lt.params_[name], rel=1e-4)
    ref = lt.params_.to_dict()
    x, tx, T = cdnow.x, cdnow.t_x, cdnow.T
    np.testing.assert_allclose(
        paretonbd.conditional_expected_purchases(ref, 39, x, tx, T),
        lt.conditional_expected_number_of_purchases_up_to_time(39, x, tx, T),
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        paretonbd.p_alive(ref, x, tx, T), lt.conditional_probability_alive(x, tx, T), rtol=1e-6
    )
    t = np.array([1.0, 39.0, 78.0])
    np.testing.assert_allclose(
        paretonbd.expected_purchases(ref, t),
        lt.expected_number_of_purchases_up_to_time(t),
        rtol=1e-6,
    )


def test_lifetimes_oracle_simulated(lifetimes):
    x, tx, T = simulate(3000, **TRUTH, t_max=52.0, seed=3)
    ours = paretonbd.ParetoNBD().fit(x, tx, T)
    lt = lifetimes.ParetoNBDFitter().fit(x, tx, T, tol=1e-12, maxiter=20000)
    for name in TRUTH:
        assert ours.params[name] == pytest.approx(lt.params_[name], rel=1e-4)


def test_simulate_and_recover():
    results = [
        paretonbd.ParetoNBD().fit(*simulate(4000, **TRUTH, t_max=52.0, seed=seed))
        for seed in range(20)
    ]
    assert_recovers(results, TRUTH)


def test_customers_with_hundreds_of_purchases():
    # The CLVTools regression case for NaNs in P(alive) (tests/testthat/test_correctness_pnbd.R).
    params = {"r": 0.5143, "alpha": 2.8845, "s": 0.2856, "beta": 14.1087}
    x = np.array([221.0, 254, 161, 204])
    tx = np.array([103.42857, 97.14286, 94.71429, 98.57143])
    T = np.array([103.57143, 97.28571, 98.00000, 99.42857])
    alive = paretonbd.p_alive(params, x, tx, T)
    assert np.all(np.isfinite(alive)) and np.all((alive > 0) & (alive <= 1))
    assert alive[0] > alive[2]  # the one who stopped longest ago is least likely alive
    expected = paretonbd.conditional_expected_purchases(params, 52, x, tx, T)
    assert np.all(np.isfinite(expected)) and np.all(expected > 0)
    np.testing.assert_allclose(
        paretonbd.loglik(params, x, tx, T),
        [_mp_loglik(params, *row) for row in zip(x, tx, T, strict=True)],
        rtol=1e-11,
    )


def test_probabilities_sum_to_one_and_mean_matches():
    params = {"r": 0.553, "alpha": 10.58, "s": 0.606, "beta": 11.67}
    n = np.arange(0, 300)
    pmf = paretonbd.probability_of_purchases(params, 39.0, n)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-9)
    assert (pmf * n).sum() == pytest.approx(paretonbd.expected_purchases(params, 39.0), rel=1e-6)


def test_p_alive_in_the_future_and_s_equal_one():
    params = {"r": 0.55, "alpha": 10.6, "s": 1.0, "beta": 11.7}
    now = paretonbd.p_alive(params, 2, 30.43, 38.86)
    later = paretonbd.p_alive(params, 2, 30.43, 38.86, t=20.0)
    assert later == pytest.approx(now * (50.56 / 70.56), rel=1e-12)
    near = {**params, "s": 1.0 + 1e-9}
    assert paretonbd.expected_purchases(params, 39.0) == pytest.approx(
        paretonbd.expected_purchases(near, 39.0), rel=1e-7
    )
