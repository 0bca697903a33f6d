"""The report's "What comes next" section on the CDNOW sample: the holdout check's numbers
against pandas and lifetimes, the HTML charts, the CSV tables, and the absent section."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fit_helpers import SAMPLE_FLAGS, lifetimes_quiet, oracle_summary
from typer.testing import CliRunner

from holdfast.cli import app
from holdfast.models import BetaGeo
from holdfast.report.forecast import ForecastSection
from holdfast.services.forecast import report_calibration_end

runner = CliRunner()
AS_OF = dt.date(1998, 6, 30)


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def document(cdnow_sample) -> dict:
    result = invoke("report", cdnow_sample, *SAMPLE_FLAGS, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_holdout_is_the_later_half_of_the_data_a_year_at_most():
    assert report_calibration_end(dt.date(1997, 1, 1), AS_OF) == dt.date(1997, 10, 1)
    assert report_calibration_end(dt.date(1990, 1, 1), AS_OF) == dt.date(1997, 6, 30)
    assert report_calibration_end(dt.date(1998, 5, 6), AS_OF) is None  # under eight weeks


def test_the_section_in_the_json_document(document):
    forecast = document["forecast"]
    assert list(document)[-1] == "forecast"
    assert (forecast["model"], forecast["unit"], forecast["horizon"]) == ("BG/NBD", "week", 52)
    assert forecast["as_of"] == "1998-06-30" and forecast["discount_rate"] == 0.1
    totals = forecast["totals"]
    assert totals["customers"] == 2357 and totals["repeat_buyers"] == 1139
    bands = forecast["alive_bands"]
    assert len(bands) == 10 and sum(b["customers"] for b in bands) == 2357
    assert sum(b["expected_purchases"] for b in bands) == pytest.approx(
        totals["expected_purchases"], rel=1e-4
    )
    top = forecast["top_customers"]
    assert len(top) == 10
    values = [c["predicted_clv"] for c in top]
    assert values == sorted(values, reverse=True)
    names = [(p["model"], p["parameter"]) for p in forecast["parameters"]]
    assert names[:4] == [("BG/NBD", "r"), ("BG/NBD", "alpha"), ("BG/NBD", "a"), ("BG/NBD", "b")]


def test_the_holdout_check_against_pandas_and_lifetimes(document, cdnow_raw, lifetimes):
    holdout = document["forecast"]["holdout"]
    cal_end = dt.date(1997, 10, 1)
    assert (holdout["calibration_end"], holdout["holdout_end"]) == ("1997-10-01", "1998-06-30")
    before = oracle_summary(cdnow_raw, cal_end)
    after = oracle_summary(cdnow_raw, AS_OF)["frequency"].reindex(before.index)
    made = after - before["frequency"]
    assert holdout["customers"] == len(before) == 2357
    assert holdout["actual_total"] == made.sum()
    # the model the report fitted on the calibration data, rebuilt from the pandas summary
    fit = BetaGeo().fit(before["frequency"], before["recency"], before["T"])
    weeks = (AS_OF - cal_end).days / 7.0
    with lifetimes_quiet():
        bg = lifetimes.BetaGeoFitter()
        bg.params_ = pd.Series(fit.params)
        x, tx, T = before["frequency"], before["recency"], before["T"]
        predicted = bg.conditional_expected_number_of_purchases_up_to_time(weeks, x, tx, T)
        born = bg.expected_number_of_purchases_up_to_time(T)
    assert holdout["predicted_total"] == pytest.approx(predicted.sum(), rel=1e-5)
    by_frequency = pd.DataFrame(holdout["by_frequency"]).set_index("frequency")
    zero = x == 0
    assert by_frequency.loc["0", "customers"] == zero.sum()
    # the JSON document rounds numbers to four decimals
    assert by_frequency.loc["0", "actual"] == pytest.approx(made[zero].mean(), abs=5e-5)
    assert by_frequency.loc["0", "predicted"] == pytest.approx(predicted[zero].mean(), abs=5e-5)
    tracking = pd.DataFrame(holdout["tracking"]).set_index("t")
    assert tracking.loc[0.0, "date"] == "1997-10-01"
    assert tracking.loc[0.0, "actual"] == before["frequency"].sum()
    assert tracking["actual"].iloc[-1] == before["frequency"].sum() + made.sum()
    assert tracking.loc[0.0, "expected"] == pytest.approx(float(np.sum(born)), rel=1e-5)
    errors = pd.DataFrame(holdout["errors"]).set_index("error")["customers"]
    rounded = np.clip(np.rint(np.asarray(predicted, dtype=float) - made.to_numpy()), -5, 5)
    assert (
        errors.to_dict()
        == pd.Series(rounded).value_counts().reindex(range(-5, 6), fill_value=0).to_dict()
    )
    error = np.asarray(predicted, dtype=float) - made.to_numpy()
    assert holdout["mae"] == pytest.approx(np.abs(error).mean(), abs=5e-5)
    assert holdout["rmse"] == pytest.approx(np.sqrt((error**2).mean()), abs=5e-5)


def test_the_html_page_shows_the_section_and_its_charts(cdnow_sample, tmp_path):
    target = tmp_path / "report.html"
    result = invoke("report", cdnow_sample, *SAMPLE_FLAGS, "-o", target)
    assert result.exit_code == 0, result.output
    page = target.read_text()
    assert '<section class="section" id="forecast">' in page
    assert "<h2>What comes next</h2>" in page and 'href="#forecast"' in page
    charts = ("forecast-alive", "forecast-tracking", "forecast-by-frequency", "forecast-errors")
    for chart in charts:
        assert f'id="chart-{chart}"' in page, chart
    assert "BG/NBD alpha" in page and "95 % interval" in page
    assert "Check: fitted on the data up to 1 Oct 1997, the model expected" in page


def test_the_csv_folder_has_the_forecast_tables(cdnow_sample, tmp_path):
    result = invoke("report", cdnow_sample, *SAMPLE_FLAGS, "--format", "csv", "-o", tmp_path)
    assert result.exit_code == 0, result.output
    stems = ("parameters", "alive_bands", "top_customers", "tracking", "by_frequency", "errors")
    for stem in stems:
        assert (tmp_path / f"forecast_{stem}.csv").exists(), stem
    bands = pd.read_csv(tmp_path / "forecast_alive_bands.csv")
    assert bands["customers"].sum() == 2357


def test_too_few_repeat_buyers_leave_one_sentence(tmp_path: Path):
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order,customer,date,amount\n1,a,1998-01-05,10\n2,b,1998-01-07,20\n"
        "3,a,1998-02-03,12\n4,c,1998-03-10,25\n"
    )
    result = invoke("report", orders, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["forecast"] is None
    target = tmp_path / "report.html"
    assert invoke("report", orders, "-o", target).exit_code == 0
    page = target.read_text()
    assert (
        "No forecast: only 1 of 3 customers bought more than once by 1998-03-10; a forecast "
        "needs at least 20 repeat buyers." in page
    )


def test_a_section_without_a_forecast_must_say_why():
    with pytest.raises(ValueError, match="needs the reason"):
        ForecastSection(None)
    section = ForecastSection(None, absent="No forecast: nothing to fit.")
    assert not section.available(None) and section.absent_note == "No forecast: nothing to fit."
