"""CDNOW_master scored as of 1997-09-30 (the end of the papers' calibration period): the stored
P(alive) and expected purchases equal lifetimes' BG/NBD on a summary rebuilt here from the raw
file with pandas, and the stored parameters equal lifetimes' own fit."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from pandas.errors import Pandas4Warning

from holdfast.services.ingest import ImportRequest, import_file
from holdfast.services.scoring import score

AS_OF = dt.date(1997, 9, 30)
HORIZON_WEEKS = 52.0


@contextlib.contextmanager
def quiet():
    """lifetimes 0.11.3 sets a pandas option removed in pandas 3 when imported."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="The 'mode.chained_assignment' option", category=Pandas4Warning
        )
        yield


def summary_from_raw(master: Path) -> pd.DataFrame:
    raw = pd.read_csv(master, sep=r"\s+", dtype={"customer_id": str, "date": str})
    raw["day"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    raw = raw[raw["day"] <= pd.Timestamp(AS_OF)]
    days = raw.groupby(["customer_id", "day"], as_index=False).size()
    per = days.groupby("customer_id")["day"].agg(["min", "max", "count"])
    return pd.DataFrame(
        {
            "x": per["count"] - 1,
            "t_x": (per["max"] - per["min"]).dt.days / 7.0,
            "T": (pd.Timestamp(AS_OF) - per["min"]).dt.days / 7.0,
        }
    )


def test_cdnow_scores_equal_the_bgnbd_model(shared_data: Path, store_url: str):
    master = shared_data / "cdnow" / "CDNOW_master.txt"
    import_file(ImportRequest(kind="orders", path=master), store_url)
    result = score(store_url, AS_OF)
    assert result.model == "BG/NBD" and result.customers == 23_570
    engine = sa.create_engine(store_url)
    with engine.connect() as conn:
        params = json.loads(
            conn.exec_driver_sql(
                f"SELECT parameters FROM score_runs WHERE id = {result.run_id}"
            ).scalar()
        )["purchase"]["params"]
        stored = pd.DataFrame(
            conn.exec_driver_sql(
                "SELECT c.external_id, s.p_alive, s.expected_purchases FROM customer_scores s "
                f"JOIN customers c ON c.id = s.customer_id WHERE s.run_id = {result.run_id}"
            ).all(),
            columns=["customer_id", "p_alive", "expected_purchases"],
        ).set_index("customer_id")
    engine.dispose()
    summary = summary_from_raw(master).join(stored, how="inner")
    assert len(summary) == 23_570
    with quiet():
        from lifetimes import BetaGeoFitter

        ours = BetaGeoFitter()
        ours.params_ = pd.Series({k: params[k] for k in ("r", "alpha", "a", "b")})
        x, t_x, age = (summary[c].to_numpy(dtype=float) for c in ("x", "t_x", "T"))
        p_alive = ours.conditional_probability_alive(x, t_x, age)
        expected = ours.conditional_expected_number_of_purchases_up_to_time(
            HORIZON_WEEKS, x, t_x, age
        )
        theirs = BetaGeoFitter().fit(x, t_x, age)
    np.testing.assert_allclose(summary.p_alive, p_alive, rtol=1e-9)
    np.testing.assert_allclose(summary.expected_purchases, expected, rtol=1e-9)
    for name in ("r", "alpha", "a", "b"):
        assert params[name] == pytest.approx(theirs.params_[name], rel=2e-3)
