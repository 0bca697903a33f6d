"""Shared fitting machinery: compression, persistence, input errors, warnings, extreme inputs."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from model_sim import bgnbd as simulate_bg
from model_sim import paretonbd as simulate_pareto

from holdfast.errors import FitWarning, InputError, UserError
from holdfast.models import (
    BetaGeo,
    FitResult,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    bgnbd,
    paretonbd,
)
from holdfast.models._fit import compress
from holdfast.models.clv import purchase_module

PURCHASE_MODELS = [BetaGeo, ModifiedBetaGeo, ParetoNBD]
TRUTH = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}


def test_compress_merges_exact_duplicates_only():
    x = np.array([1.0, 1.0, 1.0, 0.0, 1.0])
    t = np.array([2.0, 2.0, 2.0 + 1e-12, 0.0, 2.0])
    (cx, ct), w = compress([x, t], np.array([1.0, 2.0, 1.0, 1.0, 0.0]))
    assert cx.tolist() == [0.0, 1.0, 1.0]  # sorted
    assert ct.tolist() == [0.0, 2.0, 2.0 + 1e-12]
    assert w.tolist() == [1.0, 3.0, 1.0]  # the zero-weight row is dropped


def test_compression_does_not_change_the_fit(cdnow):
    result = BetaGeo().fit(cdnow.x, cdnow.t_x, cdnow.T)
    assert result.n_rows < result.n_customers == 2357
    shuffled = np.random.default_rng(1).permutation(2357)
    again = BetaGeo().fit(cdnow.x[shuffled], cdnow.t_x[shuffled], cdnow.T[shuffled])
    assert again.params == pytest.approx(result.params, rel=1e-9)


def test_json_round_trip(cdnow):
    result = ParetoNBD().fit(cdnow.x, cdnow.t_x, cdnow.T)
    text = result.to_json()
    data = json.loads(text)
    assert data["model"] == "Pareto/NBD" and set(data["params"]) == {"r", "alpha", "s", "beta"}
    back = FitResult.from_json(text)
    assert back == result
    assert paretonbd.p_alive(back.params, 2, 30.43, 38.86) == paretonbd.p_alive(
        result.params, 2, 30.43, 38.86
    )


def test_json_writes_nan_as_null_and_refuses_garbage():
    result = FitResult(
        model="BG/NBD",
        params={"r": 1.0},
        loglik=-1.0,
        stderr={"r": math.nan},
        intervals={"r": (math.nan, math.nan)},
        converged=False,
        n_customers=1,
        n_rows=1,
        messages=["flat"],
    )
    data = json.loads(result.to_json())
    assert data["stderr"] == {"r": None} and data["intervals"] == {"r": [None, None]}
    assert math.isnan(FitResult.from_json(result.to_json()).stderr["r"])
    with pytest.raises(InputError, match="not a holdfast model file"):
        FitResult.from_json('{"params": 3}')
    with pytest.raises(InputError, match="newer"):
        FitResult.from_json(json.dumps({**data, "format_version": 99}))


@pytest.mark.parametrize(
    ("frequency", "recency", "T", "column", "rows"),
    [
        ([1, -2, 1], [1, 1, 0], [5, 5, 5], "frequency", [1]),
        ([1, 1.5, 0], [1, 1, 0], [5, 5, 5], "frequency", [1]),
        ([1, 2, 1], [1, 8, 9], [5, 5, 5], "recency", [1, 2]),
        ([1, 2, 0], [1, 2, 3], [5, 5, 5], "recency", [2]),
        ([1, 2, 0], [1, np.nan, 0], [5, 5, 5], "recency", [1]),
        ([1, 0, 0], [1, 0, 0], [5, -5, 5], "T", [1]),
    ],
)
@pytest.mark.parametrize("model", PURCHASE_MODELS)
def test_bad_input_lists_the_rows(model, frequency, recency, T, column, rows):
    with pytest.raises(InputError) as info:
        model().fit(frequency, recency, T)
    assert [p.row for p in info.value.problems] == rows
    assert all(p.column == column for p in info.value.problems)
    assert f"row {rows[0]}" in str(info.value)


def test_mismatched_lengths_and_empty_input():
    with pytest.raises(InputError, match="recency has 2 values"):
        BetaGeo().fit([1, 2, 3], [1, 2], [3, 3, 3])
    with pytest.raises(InputError, match="empty"):
        BetaGeo().fit([], [], [])
    with pytest.raises(UserError, match="penalizer"):
        BetaGeo(penalizer=-1).fit([1], [1], [2])


def test_many_bad_rows_are_counted_not_all_listed():
    x = np.arange(1.0, 31.0)
    with pytest.raises(InputError) as info:
        BetaGeo().fit(x, x + 100, x + 1)
    assert len(info.value.problems) == 10 and info.value.total == 30
    assert "and 20 more" in str(info.value)


def test_every_kind_of_problem_is_reported_at_once():
    with pytest.raises(InputError) as info:
        BetaGeo().fit([-1, 2.5, 0, 3], [0, 1, 2, 9], [5, 5, 5, 5])
    assert [(p.row, p.column) for p in info.value.problems] == [
        (0, "frequency"),
        (1, "frequency"),
        (2, "recency"),
        (3, "recency"),
    ]
    assert "recency > T" in str(info.value)


def test_recency_rounding_is_clamped_with_a_warning():
    x, tx, T = simulate_bg(2000, **TRUTH, t_max=52.0, seed=2)
    i = int(np.argmax(x))
    tx[i] = T[i] * (1 + 1e-5)
    with pytest.warns(FitWarning, match="slightly greater than T"):
        result = BetaGeo().fit(x, tx, T)
    assert result.converged


def test_no_repeat_buyers_is_a_clear_error():
    for model in PURCHASE_MODELS:
        with pytest.raises(UserError, match="none of the 3 customers made a repeat purchase"):
            model().fit([0, 0, 0], [0, 0, 0], [5, 6, 7])


def test_duplicated_orders_are_reported_but_kept():
    x, tx, T = simulate_bg(3000, **TRUTH, t_max=52.0, seed=3)
    x[0], tx[0] = 5000.0, T[0] * 0.9
    with pytest.warns(FitWarning, match="duplicated orders") as record:
        result = BetaGeo().fit(x, tx, T)
    assert "(5000; 99 % of repeat buyers have at most" in str(record[0].message)
    assert result.converged and all(np.isfinite(v) for v in result.params.values())


@pytest.mark.parametrize("model", PURCHASE_MODELS)
def test_one_customer_gives_finite_numbers_and_says_why(model):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        result = model().fit([2], [3.0], [5.0])
    texts = " ".join(str(w.message) for w in record)
    assert all(issubclass(w.category, FitWarning) for w in record)
    assert "only 1 of 1 customers made a repeat purchase" in texts
    assert not result.converged
    assert all(np.isfinite(v) for v in result.params.values())
    assert result.messages and "flat" in " ".join(result.messages)
    # whatever corner the flat likelihood ends in, the predictions are numbers
    module = purchase_module(result)
    x, tx, T = np.array([2.0, 0.0]), np.array([3.0, 0.0]), np.array([5.0, 5.0])
    for values in (
        module.conditional_expected_purchases(result.params, 52.0, x, tx, T),
        module.p_alive(result.params, x, tx, T),
        module.expected_purchases(result.params, np.array([1.0, 52.0])),
    ):
        assert np.all(np.isfinite(values)) and np.all(values >= 0)


def test_one_spend_customer_is_a_clear_error():
    with pytest.raises(UserError, match="cannot fit the Gamma-Gamma model on fewer than two"):
        GammaGamma().fit([3], [20.0])


@pytest.mark.parametrize("model", PURCHASE_MODELS)
def test_frequency_up_to_ten_thousand(model):
    x, tx, T = simulate_bg(2000, **TRUTH, t_max=52.0, seed=4)
    x[:3] = [10_000, 8_000, 400]
    tx[:3] = T[:3] * 0.99
    with pytest.warns(FitWarning, match="duplicated orders"):
        result = model().fit(x, tx, T)
    assert result.converged
    module = purchase_module(result)
    values = module.conditional_expected_purchases(result.params, 10.0, x[:3], tx[:3], T[:3])
    assert np.all(np.isfinite(values)) and np.all(values > 0)
    assert np.all(np.isfinite(module.p_alive(result.params, x[:3], tx[:3], T[:3])))


@pytest.mark.parametrize("scale", [1e-6, 1e6])
@pytest.mark.parametrize("model", PURCHASE_MODELS)
def test_tiny_and_huge_time_units_give_the_same_shape_parameters(model, scale):
    x, tx, T = simulate_pareto(3000, 0.55, 10.0, 0.6, 12.0, t_max=52.0, seed=6)
    base = model().fit(x, tx, T)
    scaled = model().fit(x, tx * scale, T * scale)
    assert scaled.converged
    for name, value in base.params.items():
        factor = scale if name in ("alpha", "beta") else 1.0
        assert scaled.params[name] == pytest.approx(value * factor, rel=1e-6)
    count = float(x.sum())
    assert scaled.loglik == pytest.approx(base.loglik - count * math.log(scale), rel=1e-9)


def test_predictions_at_extreme_ages_are_finite():
    params = {"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4}
    x, tx, T = np.array([0.0, 5.0, 3.0]), np.array([0.0, 1e-9, 2.0]), np.array([1e-9, 1e6, 1e6])
    for fn in (bgnbd.conditional_expected_purchases, bgnbd.p_alive):
        args = (
            (params, 39.0, x, tx, T)
            if fn is bgnbd.conditional_expected_purchases
            else (params, x, tx, T)
        )
        values = fn(*args)
        assert np.all(np.isfinite(values)) and np.all(values >= 0)
    assert np.isfinite(bgnbd.expected_purchases(params, 1e9))
    pareto = {"r": 0.55, "alpha": 10.6, "s": 0.6, "beta": 11.7}
    values = paretonbd.conditional_expected_purchases(pareto, 39.0, x, tx, T)
    assert np.all(np.isfinite(values)) and np.all(values >= 0)


def test_penalizer_shrinks_toward_one():
    x, tx, T = simulate_bg(500, **TRUTH, t_max=52.0, seed=8)
    plain = BetaGeo().fit(x, tx, T)
    shrunk = BetaGeo(penalizer=0.1).fit(x, tx, T)
    assert shrunk.penalizer == 0.1
    assert abs(math.log(shrunk.params["b"])) < abs(math.log(plain.params["b"]))


def test_parameters_must_be_positive_for_predictions():
    with pytest.raises(InputError, match="'a' must be a positive number"):
        bgnbd.p_alive({"r": 1, "alpha": 1, "a": -1, "b": 1}, 1, 1, 2)
    with pytest.raises(InputError, match="'b' is missing"):
        bgnbd.p_alive({"r": 1, "alpha": 1, "a": 1}, 1, 1, 2)
