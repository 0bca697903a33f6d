"""The CSV folder: one file per table, the contract's headers, the JSON document's values."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from holdfast.errors import UserError
from holdfast.report import ReportData, to_document, write_csv
from holdfast.report.data import PERIOD_COLUMNS


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_table_is_written_with_its_header(data: ReportData, tmp_path: Path) -> None:
    written = write_csv(data, tmp_path / "out")
    names = sorted(p.name for p in written)
    assert names == sorted(
        [
            "summary.csv",
            "periods.csv",
            "cohorts.csv",
            "concentration.csv",
            "tenure.csv",
            "days_between_orders.csv",
            "nps.csv",
        ]
    )
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == names  # no leftovers
    headers = {p.name: p.read_text(encoding="utf-8").splitlines()[0] for p in written}
    assert headers["periods.csv"] == ",".join(name for name, _ in PERIOD_COLUMNS)
    assert headers["cohorts.csv"] == (
        "cohort,cohort_size,age,active_share,revenue_per_member_cumulative"
    )
    assert headers["concentration.csv"] == "customer_share,revenue_share"
    assert headers["tenure.csv"] == "tenure_band,customers,revenue,spend_per_customer"
    assert headers["days_between_orders.csv"] == "bucket,count"
    assert headers["nps.csv"] == (
        "period,responses,promoters,passives,detractors,nps,ci_low,ci_high"
    )
    assert headers["summary.csv"] == "key,value"


def test_values_match_the_json_document(data: ReportData, tmp_path: Path) -> None:
    write_csv(data, tmp_path)
    rows = _read(tmp_path / "periods.csv")
    doc = to_document(data)["periods"]
    assert [r["period"] for r in rows] == [d["period"] for d in doc]
    january, february, june = rows[0], rows[1], rows[5]
    assert january["crr"] == "" and january["customers_start"] == "0"
    assert february["revenue"] == "31020.3" and february["repeat_rate"] == "0.3"
    assert float(rows[4]["crr"]) == doc[4]["crr"] == 0.887043
    assert june["partial"] == "True" and january["partial"] == "False"
    assert january["start"] == "1997-01-01"
    summary = {r["key"]: r["value"] for r in _read(tmp_path / "summary.csv")}
    assert summary["customers"] == "1730"
    assert summary["latest_period"] == "1997-05"
    assert summary["first_order"] == "1997-01-01"
    tenure = _read(tmp_path / "tenure.csv")
    assert tenure[0]["tenure_band"] == "0–1 months"


def test_no_nps_file_without_survey_answers(data_without_nps: ReportData, tmp_path: Path) -> None:
    names = {p.name for p in write_csv(data_without_nps, tmp_path)}
    assert "nps.csv" not in names and "periods.csv" in names
    summary = {r["key"]: r["value"] for r in _read(tmp_path / "summary.csv")}
    assert summary["nps"] == ""


def test_unwritable_folder_is_a_clean_error(data: ReportData, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(UserError, match="cannot create the folder"):
        write_csv(data, blocker / "out")
