"""``holdfast fit`` end to end on the CDNOW sample file: the published estimates from raw
transactions, predictions checked against lifetimes, CSV and Parquet output, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fit_helpers import CALIBRATION_END, HOLDOUT_END, SAMPLE_FLAGS, lifetimes_quiet, oracle_summary
from typer.testing import CliRunner

from holdfast.cli import app
from holdfast.models import FitResult

runner = CliRunner()

# ../shared/data/cdnow/README.md, with the papers cited there: the 39-week calibration of the
# 2,357-customer sample. BG/NBD: Fader, Hardie & Lee (2005), Marketing Science 24(2), LL
# -9582.43; Pareto/NBD: Fader & Hardie's implementation note, LL -9594.98; Gamma-Gamma: Fader,
# Hardie & Lee (2005), JMR 42(4), and note 025 (LL -4055.92, also CLVTools).
BGNBD = {"r": "0.243", "alpha": "4.414", "a": "0.793", "b": "2.426"}
PARETO = {"r": "0.553", "alpha": "10.58", "s": "0.606", "beta": "11.67"}
GAMMA_GAMMA = {"p": "6.25", "q": "3.74", "gamma": "15.44"}


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def as_printed(params: dict[str, float], published: dict[str, str]) -> dict[str, str]:
    """The estimates rounded to as many decimals as the paper prints."""
    return {name: f"{params[name]:.{len(text.split('.')[1])}f}" for name, text in published.items()}


def fit_sample(cdnow_sample: Path, folder: Path, *args: object, output: str = "p.csv"):
    result = invoke(
        "fit", cdnow_sample, *SAMPLE_FLAGS, *args, "-o", folder / output,
        "--save-model", folder / "models.json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return SimpleNamespace(
        output=result.output,
        path=folder / output,
        models=json.loads((folder / "models.json").read_text()),
    )


def read_predictions(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"customer_id": str}, parse_dates=["next_order_date"])


@pytest.fixture(scope="module")
def calibration(cdnow_sample, tmp_path_factory):
    """The fit on the calibration period alone (as of 1997-09-30), a 39-week horizon."""
    folder = tmp_path_factory.mktemp("calibration")
    return fit_sample(cdnow_sample, folder, "--as-of", CALIBRATION_END, "--horizon", 39)


@pytest.fixture(scope="module")
def holdout(cdnow_sample, tmp_path_factory):
    """Fitted to 1998-06-30 and checked against a holdout after 1997-09-30."""
    folder = tmp_path_factory.mktemp("holdout")
    return fit_sample(
        cdnow_sample, folder, "--as-of", HOLDOUT_END, "--calibration-end", CALIBRATION_END
    )


def test_published_estimates_from_raw_transactions(calibration):
    purchase, spend = calibration.models["purchase"], calibration.models["spend"]
    assert purchase["model"] == "BG/NBD" and purchase["n_customers"] == 2357
    assert as_printed(purchase["params"], BGNBD) == BGNBD
    assert round(purchase["loglik"], 2) == -9582.43
    assert as_printed(spend["params"], GAMMA_GAMMA) == GAMMA_GAMMA
    assert round(spend["loglik"], 2) == -4055.92
    assert purchase["converged"] and spend["converged"]
    assert calibration.models["diagnostics"] == []
    assert FitResult.from_dict(purchase).params == purchase["params"]


def test_the_parameter_table_and_diagnostics_are_printed(calibration):
    out = calibration.output
    assert "BG/NBD on 2,357 customers (946 repeat buyers), time in weeks, as of 1997-09-30" in out
    assert "BG/NBD alpha" in out and "4.414" in out and "Gamma-Gamma gamma" in out
    assert "95 % interval" in out
    assert "log-likelihood: BG/NBD -9582.43 (converged), Gamma-Gamma -4055.92" in out
    assert "Diagnostics: none" in out
    assert "Predictions for 2,357 customers written to" in out


def test_published_conditional_expectation_of_customer_one(calibration):
    # FHL (2005), the worked example of eq. (10): the sample's first customer (x = 2,
    # t_x = 30.43, T = 38.86) is expected to make 1.226 purchases in the 39-week holdout.
    row = read_predictions(calibration.path).set_index("customer_id").loc["0001"]
    assert (row["frequency"], round(row["recency"], 2), round(row["T"], 2)) == (2, 30.43, 38.86)
    assert round(row["expected_purchases"], 3) == 1.226


def test_predictions_agree_with_lifetimes(calibration, cdnow_raw, lifetimes):
    ours = read_predictions(calibration.path).set_index("customer_id")
    truth = oracle_summary(cdnow_raw, CALIBRATION_END).loc[ours.index]
    np.testing.assert_array_equal(ours["frequency"], truth["frequency"])
    for column in ("recency", "T", "monetary_value"):
        np.testing.assert_allclose(ours[column], truth[column], rtol=1e-12, err_msg=column)
    x, tx, T = truth["frequency"], truth["recency"], truth["T"]
    with lifetimes_quiet():
        bg = lifetimes.BetaGeoFitter()
        bg.params_ = pd.Series(calibration.models["purchase"]["params"])
        alive = bg.conditional_probability_alive(x, tx, T)
        expected = bg.conditional_expected_number_of_purchases_up_to_time(39, x, tx, T)
        gg = lifetimes.GammaGammaFitter()
        p, q, v = (calibration.models["spend"]["params"][k] for k in ("p", "q", "gamma"))
        gg.params_ = pd.Series({"p": p, "q": q, "v": v})
        spend = gg.conditional_expected_average_profit(x, truth["monetary_value"])
    np.testing.assert_allclose(ours["p_alive"], alive, rtol=1e-6)
    np.testing.assert_allclose(ours["expected_purchases"], expected, rtol=1e-6)
    np.testing.assert_allclose(ours["expected_spend"], spend, rtol=1e-6)
    np.testing.assert_allclose(
        ours["expected_revenue"], ours["expected_purchases"] * ours["expected_spend"], rtol=1e-12
    )
    # discounting only lowers the value, and by less than a 39-week horizon's worth of 10 %
    assert (ours["predicted_clv"] <= ours["expected_revenue"]).all()
    assert (ours["predicted_clv"] >= ours["expected_revenue"] / 1.1).all()


def test_next_order_date_is_the_median_wait_of_a_customer_still_alive(calibration):
    # docs/models.md: given alive at T, the wait is Lomax(r + x, alpha + T); its median.
    ours = read_predictions(calibration.path).set_index("customer_id")
    r, alpha = (calibration.models["purchase"]["params"][k] for k in ("r", "alpha"))
    days = 7 * (alpha + ours["T"]) * (2.0 ** (1.0 / (r + ours["frequency"])) - 1.0)
    expected = pd.Timestamp(CALIBRATION_END) + pd.to_timedelta(np.ceil(days), unit="D")
    known = ours["next_order_date"].notna()
    far = days >= 100 * 365.25
    assert (known == ~far).all()
    assert (ours.loc[known, "next_order_date"] == expected[known]).all()


def test_pareto_nbd_published_estimates(cdnow_sample, tmp_path):
    run = fit_sample(cdnow_sample, tmp_path, "--model", "paretonbd", "--as-of", CALIBRATION_END)
    purchase = run.models["purchase"]
    assert purchase["model"] == "Pareto/NBD"
    assert as_printed(purchase["params"], PARETO) == PARETO
    assert round(purchase["loglik"], 2) == -9594.98
    assert "Pareto/NBD beta" in run.output


def test_holdout_check_against_the_transactions(holdout, cdnow_raw):
    calibration = holdout.models["calibration"]
    assert (calibration["calibration_end"], calibration["holdout_end"]) == (
        "1997-09-30",
        "1998-06-30",
    )
    assert as_printed(calibration["purchase"]["params"], BGNBD) == BGNBD
    later = oracle_summary(cdnow_raw, HOLDOUT_END)["frequency"]
    before = oracle_summary(cdnow_raw, CALIBRATION_END)["frequency"]
    made = int((later - before.reindex(later.index)).sum())
    assert made == 1882
    out = holdout.output
    assert "Holdout check: fitted on the data up to 1997-09-30" in out
    assert f"2,357 customers made {made:,} purchases in the holdout" in out
    assert "Calibration fit" in out and "7+" in out
    # the main fit uses all the data to 1998-06-30
    assert holdout.models["purchase"]["n_customers"] == 2357
    assert holdout.models["as_of"] == "1998-06-30"


def test_parquet_output_holds_the_same_rows(calibration, cdnow_sample, tmp_path):
    run = fit_sample(
        cdnow_sample, tmp_path, "--as-of", CALIBRATION_END, "--horizon", 39,
        output="p.parquet",
    )  # fmt: skip
    table = pq.read_table(run.path)
    assert table.schema.field("next_order_date").type == pa.date32()
    assert table.schema.field("frequency").type == pa.int64()
    assert table.schema.field("customer_id").type == pa.string()
    parquet = table.to_pandas()
    csv = read_predictions(calibration.path)
    assert list(parquet.columns) == list(csv.columns)
    assert len(parquet) == 2357 and parquet["customer_id"].is_unique
    # two fits: the database returns rows in any order, so sums (and the optimum) differ in
    # the last digits
    for column in ("frequency", "recency", "T", "p_alive", "expected_purchases", "predicted_clv"):
        np.testing.assert_allclose(parquet[column], csv[column], rtol=1e-6, err_msg=column)
    as_text = [None if d is None else d.isoformat() for d in parquet["next_order_date"]]
    assert as_text == [None if pd.isna(d) else d.date().isoformat() for d in csv["next_order_date"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--model", "pnbd"), "unknown model 'pnbd': use one of bgnbd, mbgnbd, paretonbd"),
        (("--unit", "Y"), "unknown time unit 'Y': use D, W or M"),
        (("--horizon", "0"), "the horizon must be a positive number of weeks"),
        (("--as-of", "30/09/1997"), "--as-of must be a date like 1997-09-30, got '30/09/1997'"),
        (
            ("--calibration-end", "1999-01-01"),
            "the calibration end (1999-01-01) must be before as-of (1998-06-30), the last "
            "day of the data used",
        ),
        (
            ("--calibration-end", "1996-12-01"),
            "the calibration end (1996-12-01) is before the first purchase (1997-01-01)",
        ),
        (("--as-of", "1996-12-31"), "as-of 1996-12-31 is before the first purchase (1997-01-01)"),
        (("--db", "sqlite:///x.db"), "give either FILE or --db, not both"),
    ],
)
def test_bad_options_are_one_clear_line(cdnow_sample, tmp_path, args, message):
    target = tmp_path / "p.csv"
    result = invoke("fit", cdnow_sample, *SAMPLE_FLAGS, *args, "-o", target)
    assert result.exit_code == 2, result.output
    assert result.output.strip() == f"error: {message}"
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_unknown_output_format_writes_nothing(cdnow_sample, tmp_path):
    result = invoke("fit", cdnow_sample, *SAMPLE_FLAGS, "-o", tmp_path / "p.xlsx")
    assert result.exit_code == 2
    assert "predictions are written as .csv or .parquet" in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("customer_id,order_id,ordered_at,amount\n", "has a header line but no data rows"),
    ],
)
def test_empty_files_are_refused(tmp_path, text, message):
    path = tmp_path / "orders.csv"
    path.write_text(text)
    result = invoke("fit", path, "-o", tmp_path / "p.csv")
    assert result.exit_code == 3, result.output
    assert result.output.strip() == f"error: {path}: {message}"
    assert not (tmp_path / "p.csv").exists()


def test_nobody_bought_twice_is_a_clear_error(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        "customer_id,order_id,ordered_at,amount\n"
        "a,1,2024-01-05,10\nb,2,2024-02-01,20\nc,3,2024-03-01,30\n"
        "a,4,2024-01-05,5\n"  # the same day: one purchase
    )
    result = invoke("fit", path, "-o", tmp_path / "p.csv")
    assert result.exit_code == 2, result.output
    assert result.output.strip() == (
        "error: only 0 of 3 customers bought more than once by 2024-03-01; a forecast needs "
        "at least 1 repeat buyer"
    )
    assert not (tmp_path / "p.csv").exists()
