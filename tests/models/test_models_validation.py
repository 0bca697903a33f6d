"""Calibration/holdout validation tables on the CDNOW sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from holdfast.models import BetaGeo, ParetoNBD, bgnbd
from holdfast.models.validation import cumulative_tracking, holdout_comparison


@pytest.fixture(scope="module")
def fitted(cdnow):
    return BetaGeo().fit(cdnow.x, cdnow.t_x, cdnow.T)


def test_holdout_comparison_tables(fitted, cdnow):
    report = holdout_comparison(
        fitted, cdnow.x, cdnow.t_x, cdnow.T, cdnow.x_holdout, cdnow.duration_holdout
    )
    table = report.by_frequency
    assert table["frequency"].tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    expected_counts = [int((np.minimum(cdnow.x, 7) == k).sum()) for k in range(8)]
    assert table["customers"].tolist() == expected_counts
    zero = cdnow.x == 0
    assert table["actual"].iloc[0] == pytest.approx(cdnow.x_holdout[zero].mean())
    predicted = bgnbd.conditional_expected_purchases(
        fitted.params, 39.0, cdnow.x, cdnow.t_x, cdnow.T
    )
    assert table["predicted"].iloc[0] == pytest.approx(predicted[zero].mean())
    assert report.summary["actual_total"] == cdnow.x_holdout.sum()
    assert report.summary["predicted_total"] == pytest.approx(predicted.sum())
    assert report.summary["rmse"] >= report.summary["mae"] > 0
    assert 0.5 < report.summary["correlation"] < 1
    per = report.per_customer
    assert len(per) == 2357
    np.testing.assert_allclose(per["error"], per["predicted"] - per["actual"])
    # the model tracks the holdout: conditional expectations rise with past frequency
    assert np.all(np.diff(table["predicted"].to_numpy()) > 0)
    assert abs(report.summary["mean_error"]) < 0.2


def test_cumulative_tracking_against_the_transactions(fitted, cdnow, cdnow_transactions):
    days = cdnow_transactions.groupby(["sample_id", "date"], as_index=False)["amount"].sum()
    first = days.groupby("sample_id")["date"].transform("min")
    repeat = days[(days["date"] > first) & (days["date"] <= pd.Timestamp("1998-06-30"))]
    per_day = repeat.groupby("date").size()
    t = ((per_day.index - pd.Timestamp("1997-09-30")).days / 7.0).to_numpy()
    times = np.array([-20.0, 0.0, 20.0, 39.0])
    table = cumulative_tracking(fitted, cdnow.T, times, actual_t=t, actual_count=per_day.to_numpy())
    assert table["actual"].iloc[1] == cdnow.x.sum()  # everything in calibration by t = 0
    assert table["actual"].iloc[3] == cdnow.x.sum() + cdnow.x_holdout.sum()
    direct = bgnbd.expected_purchases(fitted.params, cdnow.T).sum()
    assert table["expected"].iloc[1] == pytest.approx(direct, rel=1e-12)
    assert np.all(np.diff(table["expected"].to_numpy()) > 0)
    # the fitted model reproduces the calibration period it was fitted on, roughly
    assert table["expected"].iloc[1] == pytest.approx(cdnow.x.sum(), rel=0.05)


def test_pareto_results_work_too(cdnow):
    result = ParetoNBD().fit(cdnow.x, cdnow.t_x, cdnow.T)
    report = holdout_comparison(
        result, cdnow.x, cdnow.t_x, cdnow.T, cdnow.x_holdout, cdnow.duration_holdout
    )
    assert report.summary["predicted_total"] > 0
    table = cumulative_tracking(result, cdnow.T, [0.0, 39.0])
    assert list(table.columns) == ["t", "expected"]
