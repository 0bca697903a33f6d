"""Discounted CLV: lifetimes' customer_lifetime_value as oracle, and the formula's edges."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from holdfast.errors import UserError
from holdfast.models import FitResult, bgnbd, gammagamma
from holdfast.models.clv import customer_lifetime_value, discounted_value


def _result(model: str, params: dict) -> FitResult:
    return FitResult(
        model=model,
        params=params,
        loglik=0.0,
        stderr={},
        intervals={},
        converged=True,
        n_customers=1,
        n_rows=1,
    )


@pytest.mark.parametrize("fitter", ["BetaGeoFitter", "ParetoNBDFitter"])
def test_matches_lifetimes(cdnow_published, lifetimes, fitter):
    data = cdnow_published
    model = getattr(lifetimes, fitter)().fit(data.x, data.t_x, data["T"])
    repeat = data[data.x > 0]
    spend = lifetimes.GammaGammaFitter().fit(repeat.x, repeat.zbar)
    with warnings.catch_warnings():
        # lifetimes' Pareto/NBD takes log(0) on its way for customers without repeat purchases
        warnings.filterwarnings("ignore", "divide by zero encountered in log", RuntimeWarning)
        theirs = spend.customer_lifetime_value(
            model, data.x, data.t_x, data["T"], data.zbar, time=12, discount_rate=0.01, freq="W"
        )
    name = "BG/NBD" if fitter == "BetaGeoFitter" else "Pareto/NBD"
    purchase = _result(name, model.params_.to_dict())
    gg = {"p": spend.params_["p"], "q": spend.params_["q"], "gamma": spend.params_["v"]}
    ours = customer_lifetime_value(
        purchase,
        gg,
        data.x,
        data.t_x,
        data["T"],
        data.zbar,
        horizon=12 * 4.345,
        period=4.345,
        discount_rate=0.01,
    )
    np.testing.assert_allclose(ours, np.asarray(theirs, dtype=float), rtol=1e-6)


def test_formula_by_hand():
    params = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    spend = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    value = customer_lifetime_value(
        _result("BG/NBD", params), spend, 2, 30.43, 38.86, 22.35, horizon=3, discount_rate=0.1
    )
    y = [bgnbd.conditional_expected_purchases(params, t, 2, 30.43, 38.86) for t in (1, 2, 3)]
    m = gammagamma.conditional_expected_spend(spend, 2, 22.35)
    by_hand = m * (y[0] / 1.1 + (y[1] - y[0]) / 1.1**2 + (y[2] - y[1]) / 1.1**3)
    assert value == pytest.approx(by_hand, rel=1e-12)


def test_refusals():
    with pytest.raises(UserError, match="whole number of periods"):
        discounted_value(lambda t: np.zeros(1), np.ones(1), horizon=10, period=3, discount_rate=0)
    with pytest.raises(UserError, match="not a purchase-count model"):
        customer_lifetime_value(
            _result("sBG", {"alpha": 1.0, "beta": 1.0}),
            {"p": 1.0, "q": 2.0, "gamma": 1.0},
            pd.Series([1]),
            [1],
            [2],
            [3],
            horizon=1,
            discount_rate=0.0,
        )
