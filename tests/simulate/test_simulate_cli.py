"""``holdfast simulate``: files and a summary on success, a clean message and exit code on error."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from holdfast.cli import app

runner = CliRunner()
SHOP_FILES = {
    "customers",
    "orders",
    "order_lines",
    "subscriptions",
    "survey_responses",
}


def test_writes_the_shop_the_truth_and_a_summary(tmp_path: Path) -> None:
    out = tmp_path / "shop"
    result = runner.invoke(
        app,
        [
            *("simulate", "-o", str(out), "--customers", "400", "--seed", "3", "--quiet"),
            *("--bgnbd", "0.6,7,0.9,2.5", "--gamma-gamma", "5,3,20", "--sbg", "1,2"),
        ],
    )
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert names == {f"{n}.parquet" for n in SHOP_FILES} | {
        "truth.json",
        "truth_customers.parquet",
    }
    truth = json.loads((out / "truth.json").read_text())
    assert truth["bgnbd"] == {"r": 0.6, "alpha": 7.0, "a": 0.9, "b": 2.5}
    assert truth["gamma_gamma"] == {"p": 5.0, "q": 3.0, "gamma": 20.0}
    assert truth["shifted_beta_geometric"] == {"alpha": 1.0, "beta": 2.0}
    assert truth["seed"] == 3 and truth["seasonality"]["enabled"] is True
    orders = pq.read_table(out / "orders.parquet").num_rows
    summary = " ".join(result.stdout.split())
    assert f"orders {orders:,}" in summary
    assert "customers 400" in summary
    assert "net revenue" in result.stdout and "truth.json" in result.stdout


def test_csv_without_seasonality_over_a_custom_period(tmp_path: Path) -> None:
    out = tmp_path / "csv"
    result = runner.invoke(
        app,
        [
            *("simulate", "-o", str(out), "--orders", "300", "--format", "csv"),
            *("--no-seasonality", "--start", "2024-03-01", "--end", "2024-06-30", "-q"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (out / "orders.csv").exists() and (out / "truth_customers.parquet").exists()
    truth = json.loads((out / "truth.json").read_text())
    assert truth["period"]["start"] == "2024-03-01T00:00:00Z"
    assert truth["period"]["end"] == "2024-07-01T00:00:00Z"
    assert truth["seasonality"]["enabled"] is False
    assert truth["size"]["requested_orders"] == 300


def test_a_folder_that_is_not_empty_needs_force(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("x")
    args = ["simulate", "-o", str(tmp_path), "--customers", "20", "-q"]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2
    assert "not empty" in refused.stderr and "--force" in refused.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2025-01-01", "--end", "2024-01-01"], "is before start"),
        (["--customers", "-3"], "customers must be 0 or more"),
        (["--orders", "-1"], "orders must be 0 or more"),
        (["--customers", "5", "--orders", "5"], "not both"),
        (["--start", "yesterday"], "--start 'yesterday' is not a date"),
        (["--format", "xlsx"], "unknown format 'xlsx'"),
        (["--bgnbd", "1,2,3"], "--bgnbd needs 4 numbers"),
        (["--gamma-gamma", "a,b,c"], "--gamma-gamma needs 3 numbers"),
        (["--sbg", "1,-2"], "sbg.beta must be a positive number"),
        (["--subscribers", "2"], "subscriber_share must be a share"),
        (["--currency", "EURO"], "currency must be a 3-letter"),
        (["--chunk", "0"], "chunk_customers must be at least 1"),
    ],
)
def test_bad_input_gives_a_clean_error_and_exit_code_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = runner.invoke(app, ["simulate", "-o", str(tmp_path / "out"), "-q", *args])
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_value_that_is_not_a_number_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["simulate", "-o", str(tmp_path), "--customers", "many"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_help_explains_what_comes_out() -> None:
    result = runner.invoke(app, ["simulate", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for word in ("truth.json", "truth_customers.parquet", "--no-seasonality", "BG/NBD", "--seed"):
        assert word in text, word
