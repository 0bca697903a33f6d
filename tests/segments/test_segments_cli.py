"""The CLI of scores and segments on a SQLite store: score with its summary, an unchanged rerun,
the segments table and JSON, the export, one customer, and the one-line errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from test_scoring import simulated_store
from typer.testing import CliRunner

from holdfast.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("shop")
    url = f"sqlite:///{folder / 'holdfast.db'}"
    simulated_store(url, folder, customers=300)
    for as_of in ("2024-06-30", "2024-12-31"):
        result = runner.invoke(app, ["score", "--db", url, "--as-of", as_of])
        assert result.exit_code == 0, result.output
        assert "Scored" in result.output and "80/20" in result.output
    return url


def invoke(*args: str):
    return runner.invoke(app, list(args))


def test_rerun_says_nothing_changed(scored):
    result = invoke("score", "--db", scored, "--as-of", "2024-12-31")
    assert result.exit_code == 0
    assert "Already scored (nothing changed)" in result.output


def test_segments_table_and_json(scored):
    table = invoke("segments", "--db", scored, "--transitions")
    assert table.exit_code == 0, table.output
    assert "Champions" in table.output and "since 2024-06-30" in table.output
    assert "not yet a customer" in table.output
    doc = json.loads(invoke("segments", "--db", scored, "--format", "json").output)
    assert [d["name"] for d in doc][:3] == ["New", "Promising", "Champions"]
    assert {"name", "customers", "value"} <= set(doc[0])
    engine = sa.create_engine(scored)
    with engine.connect() as conn:
        latest = conn.exec_driver_sql(
            "SELECT id FROM score_runs WHERE as_of = '2024-12-31'"
        ).scalar()
        n = conn.exec_driver_sql(
            f"SELECT COUNT(*) FROM customer_scores WHERE run_id = {latest}"
        ).scalar()
        champions = conn.exec_driver_sql(
            "SELECT COUNT(*), SUM(predicted_value_minor) FROM customer_scores "
            f"WHERE run_id = {latest} AND segment = 'Champions'"
        ).one()
    engine.dispose()
    assert sum(d["customers"] for d in doc) == n
    row = next(d for d in doc if d["name"] == "Champions")
    assert row["customers"] == champions[0]
    assert row["value"] == pytest.approx(champions[1] / 100, abs=0.006)


def test_export_a_segment(scored, tmp_path: Path):
    out = tmp_path / "champions.csv"
    result = invoke("segment", "export", "champions", "-o", str(out), "--db", scored)
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and {r["segment"] for r in rows} == {"Champions"}
    assert "@" in rows[0]["email"] and rows[0]["customer_id"]
    assert f"{len(rows):,} customers of Champions" in result.output


def test_show_a_customer(scored, tmp_path: Path):
    out = tmp_path / "lost.csv"
    invoke("segment", "export", "Lost", "-o", str(out), "--db", scored)
    with out.open(encoding="utf-8") as handle:
        who = next(csv.DictReader(handle))["customer_id"]
    result = invoke("customer", "show", who, "--db", scored)
    assert result.exit_code == 0, result.output
    assert f"Customer {who}" in result.output and "Lost" in result.output
    assert "P(alive)" in result.output and "Next products:" in result.output


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("score", "--as-of", "30/09/1997"), 2, "--as-of must be a date"),
        (("score", "--bins", "12"), 2, "2-10"),
        (("segments", "--as-of", "2001-01-01"), 4, "no scoring run as of 2001-01-01"),
        (("segments", "--format", "xml"), 2, "--format must be table or json"),
        (("segment", "export", "nobody", "-o", "x.csv"), 4, "no segment 'nobody'"),
        (("segment", "export", "Lost", "-o", "x.txt"), 2, "written as .csv"),
        (("customer", "show", "nobody"), 4, "no customer 'nobody'"),
    ],
)
def test_errors_are_one_line(scored, args, code, message):
    result = runner.invoke(app, [*args, "--db", scored])
    assert result.exit_code == code
    assert message in result.output and "Traceback" not in result.output


def test_no_scores_yet(sqlite_url):
    result = invoke("segments", "--db", sqlite_url)
    assert result.exit_code == 2 and "run `holdfast score` first" in result.output
