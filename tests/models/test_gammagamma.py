"""Gamma-Gamma spend model: published CDNOW estimates, lifetimes oracle, recovery, errors."""

from __future__ import annotations

import numpy as np
import pytest
from model_sim import assert_recovers
from model_sim import gammagamma as simulate

from holdfast.errors import FitWarning, InputError, UserError
from holdfast.models import gammagamma

# Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value" (note 025) and
# ../shared/data/cdnow/README.md: p = 6.25, q = 3.74, gamma = 15.44 on the 946 CDNOW sample
# customers with repeat purchases. The log-likelihood -4055.92 is CLVTools' value for the same
# fit (tests/testthat/test_correctness_gg.R). Both hold for zbar from the raw transactions; the
# published summary rounds zbar to cents, which moves gamma to 15.448.
PUBLISHED = {"p": 6.25, "q": 3.74, "gamma": 15.44}
PUBLISHED_LL = -4055.92
TRUTH = {"p": 6.0, "q": 4.0, "gamma": 15.0}


@pytest.fixture(scope="module")
def repeat(cdnow_published):
    return cdnow_published[cdnow_published.x > 0]


@pytest.fixture(scope="module")
def fitted(repeat):
    return gammagamma.GammaGamma().fit(repeat.x, repeat.zbar)


def test_published_estimates_from_raw_transactions(cdnow):
    keep = cdnow.x > 0
    result = gammagamma.GammaGamma().fit(cdnow.x[keep], cdnow.zbar[keep])
    for name, value in PUBLISHED.items():
        assert round(result.params[name], 2) == value
    assert round(result.loglik, 2) == PUBLISHED_LL
    assert result.n_customers == 946 and result.converged


def test_lifetimes_oracle(fitted, repeat, lifetimes):
    lt = lifetimes.GammaGammaFitter().fit(repeat.x, repeat.zbar)
    for ours, theirs in (("p", "p"), ("q", "q"), ("gamma", "v")):
        assert fitted.params[ours] == pytest.approx(lt.params_[theirs], rel=1e-4)
    ref = {"p": lt.params_["p"], "q": lt.params_["q"], "gamma": lt.params_["v"]}
    np.testing.assert_allclose(
        gammagamma.conditional_expected_spend(ref, repeat.x, repeat.zbar),
        lt.conditional_expected_average_profit(repeat.x, repeat.zbar),
        rtol=1e-6,
    )


def test_lifetimes_oracle_simulated(lifetimes):
    x, m = simulate(3000, **TRUTH, seed=9)
    ours = gammagamma.GammaGamma().fit(x, m)
    lt = lifetimes.GammaGammaFitter().fit(x, m)
    for name, theirs in (("p", "p"), ("q", "q"), ("gamma", "v")):
        assert ours.params[name] == pytest.approx(lt.params_[theirs], rel=1e-4)


def test_loglik_invariant(fitted, repeat):
    total = gammagamma.loglik(fitted.params, repeat.x, repeat.zbar).sum()
    assert total == pytest.approx(fitted.loglik, rel=1e-12)


def test_likelihood_gradient_and_hessian_match_finite_differences(repeat):
    x, m = repeat.x.to_numpy(float), repeat.zbar.to_numpy(float)
    lik = gammagamma.GammaGammaLikelihood(x, m, np.ones(x.shape[0]))
    u = np.log([3.0, 2.0, 30.0])  # away from the optimum: gradients far from 0
    value, grad, hess = lik.evaluate(u, 2)
    params = dict(zip(gammagamma.NAMES, np.exp(u), strict=True))
    assert value == pytest.approx(gammagamma.loglik(params, x, m).sum(), rel=1e-12)
    h = 1e-5
    for i in range(3):
        step = np.zeros(3)
        step[i] = h
        up, up_grad, _ = lik.evaluate(u + step, 1)
        down, down_grad, _ = lik.evaluate(u - step, 1)
        assert grad[i] == pytest.approx((up - down) / (2 * h), rel=1e-6)
        np.testing.assert_allclose(hess[:, i], (up_grad - down_grad) / (2 * h), rtol=1e-5)


def test_simulate_and_recover():
    results = [gammagamma.GammaGamma().fit(*simulate(3000, **TRUTH, seed=s)) for s in range(20)]
    assert_recovers(results, TRUTH)


def test_population_mean_and_shrinkage():
    mean = gammagamma.expected_spend(PUBLISHED)
    assert mean == pytest.approx(6.25 * 15.44 / 2.74)
    assert gammagamma.conditional_expected_spend(PUBLISHED, 0, 0.0) == pytest.approx(mean)
    one = gammagamma.conditional_expected_spend(PUBLISHED, 1, 100.0)
    many = gammagamma.conditional_expected_spend(PUBLISHED, 50, 100.0)
    assert mean < one < many < 100.0  # more orders, more weight on the customer's own mean


def test_refuses_customers_without_repeat_purchases():
    with pytest.raises(InputError, match="repeat customers only") as info:
        gammagamma.GammaGamma().fit([0, 2, 0], [0.0, 10.0, 0.0])
    assert [p.row for p in info.value.problems] == [0, 2]
    with pytest.raises(InputError, match="monetary_value must be positive"):
        gammagamma.GammaGamma().fit([1, 2], [-5.0, 10.0])
    with pytest.raises(UserError, match="q <= 1"):
        gammagamma.expected_spend({"p": 2.0, "q": 0.9, "gamma": 3.0})


def test_warns_when_spend_follows_frequency():
    rng = np.random.default_rng(0)
    x = 1.0 + rng.poisson(3.0, 500)
    m = 10.0 * x * rng.gamma(20.0, 1 / 20.0, 500)
    with pytest.warns(FitWarning, match="correlated with the number of orders"):
        result = gammagamma.GammaGamma().fit(x, m)
    assert any("independent" in text for text in result.messages)
