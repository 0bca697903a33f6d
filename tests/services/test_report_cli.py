"""``holdfast report`` / ``metrics`` / ``demo`` end to end: on a file (DuckDB, no import) and on
the store (SQLite and PostgreSQL), in HTML, JSON and CSV, with bad input named precisely."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from holdfast.cli import app

pytestmark = pytest.mark.filterwarnings(
    "ignore:The 'future.infer_string' option is deprecated:pandas.errors.Pandas4Warning"
)

runner = CliRunner()

# January: a, b, c buy (c twice); February: a buys, d is new; March (data ends on the 10th):
# b comes back. With a 31-day window: S(Feb) = 3, E(Feb) = 2 (a, d).
ORDERS = """\
order,customer,date,amount,status
1,a,1998-01-05,10.00,completed
2,b,1998-01-07,20.00,completed
3,c,1998-01-20,30.00,completed
4,c,1998-01-21,5.50,completed
5,a,1998-02-03,12.00,completed
6,d,1998-02-14,40.00,completed
7,d,1998-02-15,99.00,cancelled
8,b,1998-03-10,25.00,completed
"""


def invoke(*args: str | Path):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def orders_csv(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS)
    return path


def periods_of(output: str) -> dict[str, dict]:
    document = json.loads(output)
    return {row["period"]: row for row in document["periods"]}


def test_json_report_from_a_file(orders_csv: Path):
    result = invoke("report", orders_csv, "--format", "json", "--active-window", "31")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    periods = {row["period"]: row for row in document["periods"]}
    assert list(periods) == ["1998-01", "1998-02", "1998-03"]
    feb = periods["1998-02"]
    assert (feb["customers_start"], feb["customers_end"], feb["new_customers"]) == (3, 2, 1)
    assert (feb["retained"], feb["reactivated"], feb["lost"]) == (1, 0, 2)
    assert feb["crr"] == pytest.approx(1 / 3)
    assert feb["orders"] == 2 and feb["revenue"] == pytest.approx(52.0)
    assert periods["1998-01"]["crr"] is None and periods["1998-01"]["repeat_rate"] == pytest.approx(
        1 / 3
    )
    march = periods["1998-03"]
    assert march["partial"] is True and march["end"] == "1998-04-01"
    # at the end of the data (11 March) the window reaches back to 8 February: d and b
    assert (march["customers_end"], march["retained"], march["reactivated"]) == (2, 1, 1)
    summary = document["summary"]
    assert summary["customers"] == 4 and summary["orders"] == 7
    assert summary["revenue"] == pytest.approx(142.5)
    assert summary["lifetime_repeat_rate"] == pytest.approx(3 / 4)
    assert document["cohorts"] and document["concentration"]


def test_store_report_equals_file_report(orders_csv: Path, store_url: str):
    from_file = invoke("report", orders_csv, "--format", "json", "--active-window", "31")
    imported = invoke("import", "orders", orders_csv, "--db", store_url)
    assert imported.exit_code == 0, imported.output
    from_store = invoke("report", "--db", store_url, "--format", "json", "--active-window", "31")
    assert from_store.exit_code == 0, from_store.output
    assert periods_of(from_store.output) == periods_of(from_file.output)


def test_html_report_is_one_offline_file(orders_csv: Path, tmp_path: Path):
    target = tmp_path / "report.html"
    result = invoke("report", orders_csv, "-o", target, "--period", "week", "--active-window", "31")
    assert result.exit_code == 0, result.output
    html = target.read_text()
    assert html.startswith("<!DOCTYPE html>") or html.lstrip().lower().startswith("<!doctype")
    assert "Plotly" in html
    assert re.search(r"<(script|link)[^>]+(src|href)=[\"']https?:", html) is None
    assert "1998-W06" in html


def test_csv_report_writes_the_tables(orders_csv: Path, tmp_path: Path):
    folder = tmp_path / "tables"
    result = invoke("report", orders_csv, "--format", "csv", "-o", folder)
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in folder.iterdir())
    assert "periods.csv" in names and "cohorts.csv" in names


def test_metrics_prints_the_period_table(orders_csv: Path):
    result = invoke("metrics", orders_csv, "--active-window", "31", "--columns", "crr,churn_rate")
    assert result.exit_code == 0, result.output
    assert "1998-02" in result.output and "33.3" in result.output


def test_bad_rows_are_named_and_nothing_is_written(tmp_path: Path):
    path = tmp_path / "bad.csv"
    path.write_text(ORDERS.replace("1998-02-03", "1998-02-31"))
    target = tmp_path / "report.html"
    result = invoke("report", path, "-o", target)
    assert result.exit_code != 0
    assert "bad.csv" in result.output and "row" in result.output and "1998-02-31" in result.output
    assert "Traceback" not in result.output
    assert not target.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "fortnight"], "unknown period"),
        (["--period", "month", "--active-window", "20"], "shorter than a month"),
        (["--as-of", "soon"], "--as-of must be a date"),
        (["--timezone", "Mars/Base"], "unknown time zone"),
        (["--format", "pdf"], "--format must be one of"),
    ],
)
def test_bad_options_are_explained(orders_csv: Path, args: list[str], message: str):
    result = invoke("report", orders_csv, *args)
    assert result.exit_code != 0
    assert message in result.output


def test_missing_file_is_a_clear_error(tmp_path: Path):
    result = invoke("report", tmp_path / "nope.csv")
    assert result.exit_code != 0 and "no such file" in result.output


def test_demo_runs_the_main_job(tmp_path: Path):
    folder = tmp_path / "demo"
    result = invoke("demo", "-o", folder, "--customers", "300", "--seed", "3")
    assert result.exit_code == 0, result.output
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert len(page) > 100_000
    assert "orders: read" in result.output
    # the customers were scored, so the report shows their segments and what comes next
    assert ">Segments<" in page and ">What comes next<" in page
    segments = invoke("segments", "--db", f"sqlite:///{folder / 'holdfast.db'}", "--format", "json")
    assert segments.exit_code == 0, segments.output
    assert sum(s["customers"] for s in json.loads(segments.output)) > 0
    again = invoke("demo", "-o", folder, "--customers", "300")
    assert again.exit_code != 0 and "--force" in again.output


def test_cdnow_master_monthly(shared_data: Path):
    result = invoke("report", shared_data / "cdnow" / "CDNOW_master.txt", "--format", "json", "-q")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    periods = document["periods"]
    assert periods[0]["period"] == "1997-01" and len(periods) == 18
    for row in periods:
        assert row["reactivated"] >= 0 and row["lost"] >= 0
        assert row["customers_end"] == row["retained"] + row["reactivated"] + row["new_customers"]
    assert sum(p["new_customers"] for p in periods) == document["summary"]["customers"]
    assert sum(p["orders"] for p in periods) == document["summary"]["orders"]


def test_no_forecast_leaves_the_model_out(tmp_path: Path):
    folder = tmp_path / "shop"
    made = invoke("simulate", "-o", folder, "--customers", "400", "--seed", "5", "-q")
    assert made.exit_code == 0, made.output
    orders = folder / "orders.parquet"
    with_model = json.loads(invoke("report", orders, "--format", "json", "-q").output)
    assert with_model["forecast"] is not None
    result = invoke("report", orders, "--format", "json", "-q", "--no-forecast")
    assert result.exit_code == 0, result.output
    without = json.loads(result.output)
    assert "forecast" not in without
    assert without["periods"] == with_model["periods"]
