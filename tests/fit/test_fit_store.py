"""``holdfast fit --db``: the CDNOW sample imported into a SQLite and a PostgreSQL store gives
the same fit and predictions as the file (the summary is computed in each database)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fit_helpers import CALIBRATION_END, HOLDOUT_END, SAMPLE_FLAGS
from typer.testing import CliRunner

from holdfast.cli import app
from holdfast.services.fitting import FitOptions, fit_source
from holdfast.services.sources import open_store, opened

runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("pg_scratch_url")


def run_fit(where: list[object], folder: Path) -> tuple[pd.DataFrame, dict]:
    output, models = folder / "p.csv", folder / "m.json"
    result = invoke(
        "fit", *where, "--as-of", HOLDOUT_END, "--calibration-end", CALIBRATION_END,
        "-o", output, "--save-model", models,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(output, dtype={"customer_id": str})
    return frame, json.loads(models.read_text())


@pytest.fixture(scope="module")
def from_file(cdnow_sample, tmp_path_factory):
    return run_fit([cdnow_sample, *SAMPLE_FLAGS], tmp_path_factory.mktemp("file"))


def test_store_fit_equals_file_fit(store_url, cdnow_sample, from_file, tmp_path):
    imported = invoke("import", "orders", cdnow_sample, *SAMPLE_FLAGS, "--db", store_url)
    assert imported.exit_code == 0, imported.output
    frame, models = run_fit(["--db", store_url], tmp_path)
    file_frame, file_models = from_file
    assert frame["customer_id"].tolist() == file_frame["customer_id"].tolist()
    assert frame["next_order_date"].equals(file_frame["next_order_date"])
    numbers = [c for c in frame.columns if c not in ("customer_id", "next_order_date")]
    # rows come back in each database's order, so sums differ in the last digits
    for column in numbers:
        np.testing.assert_allclose(frame[column], file_frame[column], rtol=1e-6, err_msg=column)
    for part in ("purchase", "spend"):
        ours, theirs = models[part]["params"], file_models[part]["params"]
        assert ours == pytest.approx(theirs, rel=1e-6), part
    calibration = models["calibration"]["purchase"]["params"]
    assert calibration == pytest.approx(file_models["calibration"]["purchase"]["params"], rel=1e-6)


def test_fit_source_on_the_store_directly(store_url, cdnow_sample):
    imported = invoke("import", "orders", cdnow_sample, *SAMPLE_FLAGS, "--db", store_url)
    assert imported.exit_code == 0, imported.output
    with opened(open_store(store_url)) as source:
        outcome = fit_source(source, FitOptions(as_of=CALIBRATION_END, horizon=39))
    assert round(outcome.purchase.loglik, 2) == -9582.43
    assert len(outcome.predictions) == 2357 and outcome.validation is None
    assert outcome.totals()["repeat_buyers"] == 946
