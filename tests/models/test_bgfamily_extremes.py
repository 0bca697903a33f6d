"""BG/NBD and MBG/NBD expectations at extreme parameters (the kind a flat likelihood gives):
where the 2F1 closed forms overflow, the numerical integral takes over, checked with mpmath."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from holdfast.models import bgnbd, mbgnbd
from holdfast.models._bgfamily import purchases_given_alive

CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
X, TX, T = np.array([0.0, 1.0, 3.0, 40.0]), np.array([0.0, 2.0, 4.0, 4.9]), np.full(4, 5.0)


def exact_given_alive(s: float, u: float, a: float, beta: float) -> float:
    """The integral of (1 - (1 + p u)^-s) / p over Beta(a, beta), with 40 digits."""
    mp.mp.dps = 40
    s, u, a, beta = (mp.mpf(v) for v in (s, u, a, beta))
    log_b = mp.log(mp.beta(a, beta))

    def f(p):
        return (
            (1 - (1 + p * u) ** (-s))
            / p
            * mp.exp((a - 1) * mp.log(p) + (beta - 1) * mp.log1p(-p) - log_b)
        )

    return float(mp.quad(f, [0, mp.mpf("1e-6"), mp.mpf("1e-3"), 0.5, 0.99, 0.999, 1]))


@pytest.mark.parametrize(("module", "offset"), [(bgnbd, 0.0), (mbgnbd, 1.0)])
def test_the_integral_equals_the_closed_form_at_ordinary_parameters(module, offset):
    r, al, a, b = CDNOW.values()
    closed = module.conditional_expected_purchases(CDNOW, 39.0, X, TX, T)
    integral = purchases_given_alive(r + X, 39.0 / (al + T), a, b + X + offset)
    np.testing.assert_allclose(closed, integral * module.p_alive(CDNOW, X, TX, T), rtol=1e-9)


@pytest.mark.parametrize(("module", "offset"), [(bgnbd, 0.0), (mbgnbd, 1.0)])
def test_overflowing_closed_forms_fall_back_to_the_integral(module, offset):
    params = {"r": 0.6456, "alpha": 5.956, "a": 2000.0, "b": 3.0}  # 2F1 gives NaN here
    values = module.conditional_expected_purchases(params, 52.0, X, TX, T)
    alive = module.p_alive(params, X, TX, T)
    exact = [
        exact_given_alive(0.6456 + x, 52.0 / (5.956 + 5.0), 2000.0, 3.0 + x + offset) for x in X
    ]
    np.testing.assert_allclose(values, alive * np.array(exact), rtol=1e-8)
    new = module.expected_purchases(params, 52.0)
    assert np.isfinite(new) and 0 < new < 0.6456 * 52.0 / 5.956


@pytest.mark.parametrize("module", [bgnbd, mbgnbd])
def test_degenerate_fits_give_bounded_finite_numbers(module):
    # a flat likelihood's corner: Gamma(r, alpha) collapsed to a point, dropout all but never
    params = {"r": 7.12e6, "alpha": 2.374e7, "a": 3.4e-4, "b": 8389.0}
    values = module.conditional_expected_purchases(params, 52.0, X, TX, T)
    ceiling = (params["r"] + X) * 52.0 / (params["alpha"] + T)  # E[lambda t]: no dropout at all
    alive = module.p_alive(params, X, TX, T)
    assert np.all(np.isfinite(values))
    assert np.all(values <= alive * ceiling * (1 + 1e-12))
    assert np.all(values >= 0.99 * alive * ceiling)
    concentrated = {"r": 0.6456, "alpha": 5.956, "a": 90783.7, "b": 1.35e-5}
    assert np.all(np.isfinite(module.conditional_expected_purchases(concentrated, 52.0, X, TX, T)))


@pytest.mark.parametrize("module", [bgnbd, mbgnbd], ids=["bgnbd", "mbgnbd"])
def test_expectation_splits_into_p_alive_and_given_alive(module) -> None:
    """E[Y(t) | x, t_x, T] is exactly P(alive) times the expectation given alive, which does
    not depend on t_x (forecasts compute the latter once per (x, T))."""
    params = {"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4}
    x = np.array([0.0, 1.0, 3.0, 12.0, 250.0])
    tx = np.array([0.0, 5.0, 20.0, 30.0, 38.0])
    age = np.array([39.0, 39.0, 30.0, 38.5, 39.0])
    for t in (1.0, 13.0, 52.0):
        whole = module.conditional_expected_purchases(params, t, x, tx, age)
        given = module.expected_given_alive(params, t, x, age)
        np.testing.assert_array_equal(whole, module.p_alive(params, x, tx, age) * given)
        earlier = module.conditional_expected_purchases(params, t, x, tx / 2, age)
        assert np.all(earlier <= whole)
