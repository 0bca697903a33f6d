"""MBG/NBD: lifetimes as oracle on CDNOW and simulated data, simulate-and-recover, invariants."""

from __future__ import annotations

import numpy as np
import pytest
from model_sim import assert_recovers
from model_sim import bgnbd as simulate

from holdfast.models import mbgnbd

TRUTH = {"r": 0.5, "alpha": 6.0, "a": 0.9, "b": 1.6}


@pytest.fixture(scope="module")
def fitted(cdnow):
    return mbgnbd.ModifiedBetaGeo().fit(cdnow.x, cdnow.t_x, cdnow.T)


def test_lifetimes_oracle_cdnow(fitted, cdnow, lifetimes):
    lt = lifetimes.ModifiedBetaGeoFitter().fit(cdnow.x, cdnow.t_x, cdnow.T)
    for name in TRUTH:
        assert fitted.params[name] == pytest.approx(lt.params_[name], rel=1e-4)
    ref = lt.params_.to_dict()
    x, tx, T = cdnow.x, cdnow.t_x, cdnow.T
    np.testing.assert_allclose(
        mbgnbd.conditional_expected_purchases(ref, 39, x, tx, T),
        lt.conditional_expected_number_of_purchases_up_to_time(39, x, tx, T),
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        mbgnbd.p_alive(ref, x, tx, T), lt.conditional_probability_alive(x, tx, T), rtol=1e-6
    )
    t = np.array([1.0, 39.0, 78.0])
    np.testing.assert_allclose(
        mbgnbd.expected_purchases(ref, t), lt.expected_number_of_purchases_up_to_time(t), rtol=1e-6
    )
    for n in (0, 1, 4):
        assert mbgnbd.probability_of_purchases(ref, 39.0, n) == pytest.approx(
            lt.probability_of_n_purchases_up_to_time(39.0, n), rel=1e-6
        )


def test_loglik_invariant(fitted, cdnow):
    total = mbgnbd.loglik(fitted.params, cdnow.x, cdnow.t_x, cdnow.T).sum()
    assert total == pytest.approx(fitted.loglik, rel=1e-12)


def test_lifetimes_oracle_simulated(lifetimes):
    x, tx, T = simulate(5000, **TRUTH, t_max=52.0, seed=5, modified=True)
    ours = mbgnbd.ModifiedBetaGeo().fit(x, tx, T)
    lt = lifetimes.ModifiedBetaGeoFitter().fit(x, tx, T)
    for name in TRUTH:
        assert ours.params[name] == pytest.approx(lt.params_[name], rel=1e-4)


def test_simulate_and_recover():
    results = [
        mbgnbd.ModifiedBetaGeo().fit(*simulate(5000, **TRUTH, t_max=52.0, seed=s, modified=True))
        for s in range(20)
    ]
    assert_recovers(results, TRUTH)


def test_probabilities_and_future_p_alive():
    pmf = mbgnbd.probability_of_purchases(TRUTH, 39.0, np.arange(400))
    assert pmf.sum() == pytest.approx(1.0, abs=1e-9)
    assert (pmf * np.arange(400)).sum() == pytest.approx(
        mbgnbd.expected_purchases(TRUTH, 39.0), rel=1e-8
    )
    now = mbgnbd.p_alive(TRUTH, 0, 0, 30.0)
    assert now < 1.0  # unlike the BG/NBD, a one-time buyer may have left
    assert mbgnbd.p_alive(TRUTH, 0, 0, 30.0, t=10.0) < now
    assert mbgnbd.next_purchase_time(TRUTH, 0, 0, 30.0) > mbgnbd.next_purchase_time(
        TRUTH, 5, 29.0, 30.0
    )
