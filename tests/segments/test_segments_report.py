"""The report's segments section from a scored SQLite store: absent without a run; with one run
sizes and value but no transitions; with two the transitions; in HTML, JSON and CSV."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from test_scoring import simulated_store

from holdfast.report import dumps, render_html, write_csv
from holdfast.services.metrics import ReportOptions
from holdfast.services.reports import build_report
from holdfast.services.scoring import score
from holdfast.services.segments.report_view import segments_section
from holdfast.services.sources import open_store


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("report-shop")
    url = f"sqlite:///{folder / 'holdfast.db'}"
    simulated_store(url, folder, customers=300)
    return url


def report_with(url: str, section):
    source = open_store(url)
    try:
        data = build_report(source, ReportOptions())
    finally:
        source.close()
    return dataclasses.replace(data, extra_sections=[section])


def test_absent_without_a_run(shop):
    assert segments_section(shop) is None


def test_one_run_then_two(shop, tmp_path: Path):
    score(shop, dt.date(2024, 6, 30))
    one = segments_section(shop)
    assert one is not None and one.view.transitions is None
    assert one.view.rules is not None and len(one.view.rules) > 0
    score(shop, dt.date(2024, 12, 31))
    section = segments_section(shop)
    view = section.view
    assert view.as_of == dt.date(2024, 12, 31) and view.earlier == dt.date(2024, 6, 30)
    assert sorted(set(view.sizes["as_of"])) == [dt.date(2024, 6, 30), dt.date(2024, 12, 31)]
    assert view.transitions["customers"].sum() == view.by_segment["customers"].sum()
    data = report_with(shop, section)
    html = render_html(data)
    assert 'id="segments"' in html and "Champions" in html and "largest move" in html
    doc = json.loads(dumps(data))["segments"]
    assert doc["value_kind"] == "predicted" and len(doc["by_segment"]) == 10
    assert doc["transitions"]["from"] == "2024-06-30"
    assert doc["rules"][0]["lift"] >= doc["rules"][-1]["lift"]
    names = {p.name for p in write_csv(data, tmp_path / "csv")}
    assert {"segment_sizes.csv", "segment_value.csv", "stage_transitions.csv"} <= names
