"""The JSON document: stable keys and order, plain types, nulls for undefined, clean floats."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest
from markupsafe import Markup

from holdfast.report import ReportData, Section, dumps, to_document
from holdfast.report.data import PERIOD_COLUMNS
from holdfast.report.html import RenderContext

TOP_KEYS = [
    "holdfast_report",
    "meta",
    "summary",
    "periods",
    "cohorts",
    "concentration",
    "tenure",
    "days_between_orders",
    "nps",
]
PERIOD_TYPES = {"label": str, "date": str, "bool": bool, "int": int}


def test_round_trip_keeps_keys_order_and_values(data: ReportData) -> None:
    text = dumps(data)
    doc = json.loads(text)
    assert list(doc) == TOP_KEYS
    assert doc["holdfast_report"] == 1
    assert doc == to_document(data)
    assert dumps(data) == text  # deterministic
    assert "NaN" not in text and "Infinity" not in text


def test_period_rows_have_exactly_the_contract_columns(data: ReportData) -> None:
    rows = to_document(data)["periods"]
    assert len(rows) == 6
    for row in rows:
        assert list(row) == [name for name, _ in PERIOD_COLUMNS]
        for name, kind in PERIOD_COLUMNS:
            value = row[name]
            if kind in PERIOD_TYPES:
                assert type(value) is PERIOD_TYPES[kind], (name, value)
            else:
                assert value is None or type(value) is float, (name, value)


def test_undefined_rates_are_null_and_partial_is_marked(data: ReportData) -> None:
    january, may, june = (to_document(data)["periods"][i] for i in (0, 4, 5))
    assert january["customers_start"] == 0
    assert january["crr"] is None
    assert january["exact_retention"] is None
    assert january["churn_rate"] is None
    assert january["start"] == "1997-01-01" and january["end"] == "1997-02-01"
    assert may["partial"] is False and june["partial"] is True
    # (E - N) / S = (1218 - 150) / 1204, rounded to 6 decimals
    assert may["crr"] == 0.887043
    assert may["exact_retention"] == round(1011 / 1204, 6)
    assert may["churn_rate"] == round(193 / 1204, 6)


def test_floats_are_rounded_without_noise(data: ReportData) -> None:
    doc = to_document(data)
    february = doc["periods"][1]
    assert data.periods.loc[1, "revenue"] == 31020.300000000003
    assert data.periods.loc[1, "repeat_rate"] == 0.30000000000000004
    assert february["revenue"] == 31020.3
    assert february["repeat_rate"] == 0.3
    assert february["average_order_value"] == 51.7
    assert doc["summary"]["purchase_frequency"] == 2.3237
    text = dumps(data)
    assert '"revenue": 31020.3,' in text and '"repeat_rate": 0.3\n' in text


def test_summary_meta_and_sections(data: ReportData) -> None:
    doc = to_document(data)
    summary = doc["summary"]
    assert summary["customers"] == 1730 and type(summary["customers"]) is int
    assert summary["first_order"] == "1997-01-01"
    assert summary["latest_period"] == "1997-05"
    assert summary["latest_churn_rate"] == 0.160299
    assert summary["nps"] == 31.25 and summary["nps_responses"] == 474
    assert doc["meta"]["generated_at"] == "1997-06-18T09:30:00+00:00"
    assert doc["meta"]["as_of"] == "1997-06-17"
    assert doc["meta"]["active_window_days"] == 90
    assert doc["concentration"]["top20_revenue_share"] == 0.5904
    lorenz = doc["concentration"]["lorenz"]
    assert len(lorenz) == 101 and lorenz[0] == {"customer_share": 0.0, "revenue_share": 0.0}
    assert lorenz[-1] == {"customer_share": 1.0, "revenue_share": 1.0}
    assert doc["cohorts"][0] == {
        "cohort": "1997-01",
        "cohort_size": 700,
        "age": 0,
        "active_share": 1.0,
        "revenue_per_member_cumulative": 31.5,
    }
    assert doc["tenure"][0]["tenure_band"] == "0–1 months"
    assert doc["days_between_orders"]["median"] == 24.5
    assert doc["days_between_orders"]["buckets"][0] == {"bucket": "0–7", "count": 310}
    assert doc["nps"]["overall"] == {
        "nps": 31.25,
        "responses": 474,
        "ci_low": 24.1,
        "ci_high": 38.4,
    }
    assert doc["nps"]["periods"][0]["responses"] == 64


def test_without_survey_answers_nps_is_null(data_without_nps: ReportData) -> None:
    doc = json.loads(dumps(data_without_nps))
    assert list(doc) == TOP_KEYS
    assert doc["nps"] is None
    assert doc["summary"]["nps"] is None and doc["summary"]["nps_responses"] is None


def test_currency_decides_money_rounding(data: ReportData) -> None:
    yen = ReportData(**{**data.__dict__, "meta": {**data.meta, "currency": "JPY"}})
    assert to_document(yen)["periods"][1]["revenue"] == 31020.0


class _Forecast(Section):
    """A stand-in for a later section (model forecasts) carrying its own data."""

    key = "forecast"
    title = "What comes next"
    json_key = "forecast"

    def __init__(self, table: pd.DataFrame | None) -> None:
        self.table = table

    def available(self, data: ReportData) -> bool:
        return self.table is not None

    def document(self, data: ReportData) -> Any:
        assert self.table is not None
        return self.table.to_dict(orient="records")

    def tables(self, data: ReportData) -> dict[str, pd.DataFrame]:
        assert self.table is not None
        return {"forecast": self.table}

    def html(self, data: ReportData, ctx: RenderContext) -> Markup:
        return ctx.section(self, intro="Expected orders next year.", findings=["Steady."])


@pytest.mark.parametrize("present", [True, False])
def test_extra_sections_add_their_key_after_the_built_in_ones(
    data: ReportData, present: bool
) -> None:
    table = pd.DataFrame({"customer_id": ["c1"], "expected_orders": [1.5]}) if present else None
    extended = ReportData(**{**data.__dict__, "extra_sections": [_Forecast(table)]})
    doc = to_document(extended)
    assert list(doc) == [*TOP_KEYS, "forecast"]
    expected = [{"customer_id": "c1", "expected_orders": 1.5}] if present else None
    assert doc["forecast"] == expected
