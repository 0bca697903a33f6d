"""BG/NBD: published CDNOW numbers, lifetimes as oracle, simulate-and-recover, invariants."""

from __future__ import annotations

import numpy as np
import pytest
from model_sim import assert_recovers
from model_sim import bgnbd as simulate
from scipy import integrate, stats

from holdfast.models import bgnbd
from holdfast.models._bgfamily import BGFamilyLikelihood

# Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way", Marketing Science 24(2),
# and ../shared/data/cdnow/README.md: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426,
# LL = -9582.43 on the 2,357-customer CDNOW sample (39-week calibration); CLVTools reports the
# same (-9582.429, tests/testthat/test_correctness_bgnbd.R).
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_LL = -9582.43
TRUTH = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}


@pytest.fixture(scope="module")
def fitted(cdnow):
    return bgnbd.BetaGeo().fit(cdnow.x, cdnow.t_x, cdnow.T)


def test_published_cdnow_estimates(fitted):
    for name, value in PUBLISHED.items():
        assert round(fitted.params[name], 3) == value, name
    assert round(fitted.loglik, 2) == PUBLISHED_LL
    assert fitted.converged and fitted.n_customers == 2357
    assert fitted.messages == []


def test_published_conditional_expectation():
    # FHL (2005), their worked example of eq. (10): customer 1 of the CDNOW sample (x = 2,
    # t_x = 30.43, T = 38.86) is expected to make 1.226 purchases in the 39-week holdout at the
    # published estimates (also quoted in issue 3).
    value = bgnbd.conditional_expected_purchases(PUBLISHED, 39, 2, 30.43, 38.86)
    assert round(value, 3) == 1.226


def test_published_summary_gives_the_same_estimates(cdnow_published):
    result = bgnbd.BetaGeo().fit(cdnow_published.x, cdnow_published.t_x, cdnow_published["T"])
    for name, value in PUBLISHED.items():
        assert round(result.params[name], 3) == value


def test_loglik_invariant(fitted, cdnow):
    per_customer = bgnbd.loglik(fitted.params, cdnow.x, cdnow.t_x, cdnow.T)
    assert per_customer.shape == (2357,)
    assert per_customer.sum() == pytest.approx(fitted.loglik, rel=1e-12)


def test_lifetimes_oracle_cdnow(fitted, cdnow, lifetimes):
    lt = lifetimes.BetaGeoFitter().fit(cdnow.x, cdnow.t_x, cdnow.T)
    for name in PUBLISHED:
        assert fitted.params[name] == pytest.approx(lt.params_[name], rel=1e-4)
    ref = lt.params_.to_dict()
    x, tx, T = cdnow.x, cdnow.t_x, cdnow.T
    np.testing.assert_allclose(
        bgnbd.conditional_expected_purchases(ref, 39, x, tx, T),
        lt.conditional_expected_number_of_purchases_up_to_time(39, x, tx, T),
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        bgnbd.p_alive(ref, x, tx, T), lt.conditional_probability_alive(x, tx, T), rtol=1e-6
    )
    t = np.array([1.0, 10.0, 39.0, 78.0])
    np.testing.assert_allclose(
        bgnbd.expected_purchases(ref, t), lt.expected_number_of_purchases_up_to_time(t), rtol=1e-6
    )
    for n in (0, 1, 2, 5):
        assert bgnbd.probability_of_purchases(ref, 39.0, n) == pytest.approx(
            lt.probability_of_n_purchases_up_to_time(39.0, n), rel=1e-6
        )


def test_lifetimes_oracle_simulated(lifetimes):
    x, tx, T = simulate(5000, **TRUTH, t_max=52.0, seed=7)
    ours = bgnbd.BetaGeo().fit(x, tx, T)
    lt = lifetimes.BetaGeoFitter().fit(x, tx, T)
    for name in TRUTH:
        assert ours.params[name] == pytest.approx(lt.params_[name], rel=1e-4)


def test_simulate_and_recover():
    results = [
        bgnbd.BetaGeo().fit(*simulate(5000, **TRUTH, t_max=52.0, seed=seed)) for seed in range(20)
    ]
    assert_recovers(results, TRUTH)


def test_weights_equal_repeated_rows(cdnow):
    x, tx, T = cdnow.x[:500], cdnow.t_x[:500], cdnow.T[:500]
    doubled = bgnbd.BetaGeo().fit(np.tile(x, 2), np.tile(tx, 2), np.tile(T, 2))
    weighted = bgnbd.BetaGeo().fit(x, tx, T, weights=np.full(500, 2.0))
    for name in PUBLISHED:
        assert doubled.params[name] == pytest.approx(weighted.params[name], rel=1e-8)
    assert doubled.loglik == pytest.approx(weighted.loglik, rel=1e-10)
    assert doubled.n_customers == weighted.n_customers == 1000


@pytest.mark.parametrize("modified", [False, True])
def test_gradient_and_hessian_match_finite_differences(cdnow, modified):
    lik = BGFamilyLikelihood(
        cdnow.x, cdnow.t_x / 39, cdnow.T / 39, np.ones(2357), modified=modified
    )
    u = np.log([0.3, 0.2, 0.9, 2.0])
    _, grad, hess = lik.evaluate(u, 2)
    step = 1e-6
    for j in range(4):
        e = np.eye(4)[j] * step
        up, down = lik.evaluate(u + e, 1), lik.evaluate(u - e, 1)
        assert grad[j] == pytest.approx((up[0] - down[0]) / (2 * step), rel=1e-6)
        np.testing.assert_allclose(hess[:, j], (up[1] - down[1]) / (2 * step), rtol=1e-5)


def test_p_alive_in_the_future_matches_integration():
    # Given alive at T: lambda ~ Gamma(r+x, alpha+T), p ~ Beta(a, b+x); surviving t more needs
    # every purchase in (T, T+t] not to be the last: E[exp(-lambda p t)], integrated over p.
    params = {"r": 0.6, "alpha": 3.0, "a": 0.8, "b": 2.0}
    x, tx, T, t = 3.0, 10.0, 20.0, 15.0
    lam_shape, lam_rate = params["r"] + x, params["alpha"] + T
    survive, _ = integrate.quad(
        lambda p: (
            stats.beta.pdf(p, params["a"], params["b"] + x)
            * (lam_rate / (lam_rate + p * t)) ** lam_shape
        ),
        0,
        1,
    )
    now = bgnbd.p_alive(params, x, tx, T)
    assert bgnbd.p_alive(params, x, tx, T, t=t) == pytest.approx(now * survive, rel=1e-9)
    assert bgnbd.p_alive(params, 0, 0, T, t=t) < 1.0


def test_probabilities_sum_to_one_and_mean_matches():
    n = np.arange(0, 400)
    pmf = bgnbd.probability_of_purchases(PUBLISHED, 39.0, n)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-9)
    assert (pmf * n).sum() == pytest.approx(bgnbd.expected_purchases(PUBLISHED, 39.0), rel=1e-8)


def test_next_purchase_time_is_the_lomax_median():
    params = dict(PUBLISHED)
    wait = bgnbd.next_purchase_time(params, 2, 30.43, 38.86)
    shape, scale = params["r"] + 2, params["alpha"] + 38.86
    assert ((scale / (scale + wait)) ** shape) == pytest.approx(0.5)
    assert bgnbd.next_purchase_time(params, 2, 30.43, 38.86, quantile=0.9) > wait


def test_a_equal_one_is_bridged():
    params = {"r": 0.5, "alpha": 2.0, "a": 1.0, "b": 3.0}
    near = {**params, "a": 1.001}
    assert np.isfinite(bgnbd.expected_purchases(params, 10.0))
    assert bgnbd.expected_purchases(params, 10.0) == pytest.approx(
        bgnbd.expected_purchases(near, 10.0), rel=1e-2
    )
    assert np.isfinite(bgnbd.conditional_expected_purchases(params, 10.0, 3, 5.0, 8.0))
