"""The fitting service's public API on a summary in hand (what customer scoring calls):
predictions against lifetimes, the spend model's absence, extreme data, the output files."""

from __future__ import annotations

import datetime as dt
import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fit_helpers import CALIBRATION_END, lifetimes_quiet

from holdfast.errors import UserError
from holdfast.services.fit_output import write_models, write_predictions
from holdfast.services.fit_predictions import discount_steps
from holdfast.services.fitting import (
    PREDICTION_COLUMNS,
    FitOptions,
    NotEnoughData,
    fit_summary,
)

AS_OF = dt.date(2024, 6, 30)


@pytest.fixture(scope="module")
def published(shared_data: Path) -> pd.DataFrame:
    """The published CDNOW calibration summary, renamed to the service's columns."""
    frame = pd.read_csv(shared_data / "cdnow" / "cdnow_customers_summary_with_transactions.csv")
    return frame.rename(
        columns={"ID": "customer_id", "x": "frequency", "t_x": "recency", "zbar": "monetary_value"}
    )


def summary(frequency, recency, T, spend=None, ids=None) -> pd.DataFrame:
    n = len(frequency)
    return pd.DataFrame(
        {
            "customer_id": ids or [f"c{i:05d}" for i in range(n)],
            "frequency": frequency,
            "recency": recency,
            "T": T,
            "monetary_value": spend
            if spend is not None
            else [20.0 if f else 0.0 for f in frequency],
        }
    )


def test_clv_equals_lifetimes_with_monthly_discounting(published, lifetimes):
    # lifetimes discounts per 4.345-week month; 12 such months at 1 % a month is the same
    # cash flow as holdfast's yearly rate below over a 52.14-week horizon
    annual = 1.01 ** (365.25 / (4.345 * 7)) - 1.0
    assert discount_steps(12 * 4.345, 7.0, annual) == pytest.approx((4.345, 0.01), rel=1e-12)
    options = FitOptions(as_of=CALIBRATION_END, horizon=12 * 4.345, discount_rate=annual)
    outcome = fit_summary(published, options)
    ours = outcome.predictions.set_index("customer_id").loc[published["customer_id"].astype(str)]
    x, tx, T, m = (published[c] for c in ("frequency", "recency", "T", "monetary_value"))
    with lifetimes_quiet():
        bg = lifetimes.BetaGeoFitter()
        bg.params_ = pd.Series(outcome.purchase.params)
        bg.predict = bg.conditional_expected_number_of_purchases_up_to_time  # set by its fit
        gg = lifetimes.GammaGammaFitter()
        p, q, v = (outcome.spend.params[k] for k in ("p", "q", "gamma"))
        gg.params_ = pd.Series({"p": p, "q": q, "v": v})
        clv = gg.customer_lifetime_value(bg, x, tx, T, m, time=12, discount_rate=0.01, freq="W")
    np.testing.assert_allclose(ours["predicted_clv"], np.asarray(clv, dtype=float), rtol=1e-6)


def test_the_public_api_returns_models_and_one_row_per_customer(published):
    outcome = fit_summary(published, FitOptions(as_of=CALIBRATION_END))
    assert tuple(outcome.predictions.columns) == PREDICTION_COLUMNS
    assert len(outcome.predictions) == 2357
    assert outcome.predictions["customer_id"].is_monotonic_increasing
    assert outcome.parameters["parameter"].tolist() == ["r", "alpha", "a", "b", "p", "q", "gamma"]
    assert {outcome.purchase.model, outcome.spend.model} == {"BG/NBD", "Gamma-Gamma"}
    assert outcome.horizon == 52 and outcome.options.unit_name == "week"
    totals = outcome.totals()
    assert totals["customers"] == 2357 and totals["repeat_buyers"] == 946
    assert totals["expected_purchases"] == pytest.approx(
        outcome.predictions.expected_purchases.sum()
    )
    assert outcome.models()["purchase"]["params"] == outcome.purchase.params


@pytest.mark.parametrize("model", ["mbgnbd", "paretonbd", "MBG/NBD", "Pareto-NBD"])
def test_every_purchase_model_predicts(published, model):
    outcome = fit_summary(published, FitOptions(model=model, as_of=CALIBRATION_END))
    p = outcome.predictions
    assert outcome.purchase.converged
    for column in ("p_alive", "expected_purchases", "expected_spend", "predicted_clv"):
        assert np.isfinite(p[column]).all(), column
    assert p["p_alive"].between(0, 1).all()


def test_refusals_name_what_is_wrong(published):
    with pytest.raises(UserError, match=r"fit_summary needs options\.as_of"):
        fit_summary(published, FitOptions())
    with pytest.raises(UserError, match="the customer summary has no monetary_value column"):
        fit_summary(published.drop(columns="monetary_value"), FitOptions(as_of=AS_OF))
    with pytest.raises(NotEnoughData, match="only 0 of 3 customers bought more than once"):
        fit_summary(summary([0, 0, 0], [0, 0, 0], [5, 6, 7]), FitOptions(as_of=AS_OF))
    with pytest.raises(UserError, match="unknown model 'gamma-gamma'"):
        FitOptions(model="gamma-gamma").checked()
    with pytest.raises(UserError, match="the discount rate must be above -1"):
        FitOptions(discount_rate=-1).checked()


def test_free_repeat_purchases_leave_spend_empty_and_say_why():
    data = summary([2, 1, 0, 3] * 10, [3.0, 2.0, 0.0, 4.0] * 10, [5.0] * 40, spend=[0.0] * 40)
    outcome = fit_summary(data, FitOptions(as_of=AS_OF))
    assert outcome.spend is None
    assert any("repeat purchases were all free" in d for d in outcome.diagnostics)
    assert any("the spend model could not be used" in d for d in outcome.diagnostics)
    assert outcome.predictions["expected_spend"].isna().all()
    assert np.isfinite(outcome.predictions["expected_purchases"]).all()
    assert math.isnan(outcome.totals()["predicted_clv"])
    assert outcome.models()["spend"] is None


def test_one_repeat_buyer_gives_finite_numbers_and_a_warning():
    data = summary([1, 0, 0], [2.0, 0.0, 0.0], [10.0, 8.0, 3.0])
    outcome = fit_summary(data, FitOptions(as_of=AS_OF))
    assert any("only 1 of 3 customers made a repeat purchase" in d for d in outcome.diagnostics)
    numbers = outcome.predictions.drop(columns=["customer_id", "next_order_date"])
    assert (
        np.isfinite(numbers.drop(columns=["expected_spend", "expected_revenue", "predicted_clv"]))
        .all()
        .all()
    )


def test_a_customer_with_thousands_of_purchases_is_flagged(published):
    data = published.copy()
    # bought on the last day (recency = T): still alive, so expected to keep buying
    data.loc[0, ["frequency", "recency", "T", "monetary_value"]] = [5000, 38.86, 38.86, 15.0]
    for model in ("bgnbd", "paretonbd"):
        outcome = fit_summary(data, FitOptions(model=model, as_of=CALIBRATION_END))
        assert any(
            "far more repeat purchases than the rest (5000" in d for d in outcome.diagnostics
        )
        row = outcome.predictions.set_index("customer_id").loc["1"]
        assert np.isfinite(
            row[["p_alive", "expected_purchases", "predicted_clv"]].astype(float)
        ).all()
        assert row["expected_purchases"] > 1000


def test_tiny_and_huge_ages_give_finite_predictions(published):
    data = published.copy()
    data["customer_id"] = data["customer_id"].astype(str)
    extra = summary([0, 1, 3], [0.0, 1e-4, 2000.0], [1e-4, 2e-4, 2600.0], ids=["tiny", "t2", "old"])
    outcome = fit_summary(pd.concat([data, extra]), FitOptions(as_of=CALIBRATION_END))
    rows = outcome.predictions.set_index("customer_id").loc[["tiny", "t2", "old"]]
    assert (
        np.isfinite(rows[["p_alive", "expected_purchases", "predicted_clv"]].astype(float))
        .all()
        .all()
    )


def test_output_files_are_whole_or_absent(published, tmp_path):
    outcome = fit_summary(published, FitOptions(as_of=CALIBRATION_END))
    with pytest.raises(UserError, match=r"cannot write .*p\.csv"):
        write_predictions(outcome.predictions, tmp_path / "missing" / "p.csv")
    with pytest.raises(UserError, match=r"the file must end in \.csv or \.parquet"):
        write_predictions(outcome.predictions, tmp_path / "p.json")
    assert list(tmp_path.iterdir()) == []
    path = write_models(outcome, tmp_path / "models.json")
    document = json.loads(path.read_text())
    assert document["as_of"] == "1997-09-30" and document["unit"] == "W"
    assert set(document) == {"as_of", "unit", "diagnostics", "purchase", "spend"}


def test_models_json_is_strict_when_errors_are_undefined(tmp_path):
    data = summary([1, 0, 0], [2.0, 0.0, 0.0], [10.0, 8.0, 3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        outcome = fit_summary(data, FitOptions(as_of=AS_OF))
    text = write_models(outcome, tmp_path / "m.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    json.loads(text)
