"""NPS and its interval on DuckDB, SQLite and PostgreSQL: a published margin of error, hand
computations, clipping, too few answers, which rows are NPS answers, local days, oracle."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from oracle import nps_oracle
from shop import run

from holdfast.analytics.nps import NPS_PERIOD_COLUMNS, nps_by_period, nps_overall
from holdfast.errors import UserError

pytestmark = pytest.mark.filterwarnings(
    "ignore:The 'future.infer_string' option is deprecated:pandas.errors.Pandas4Warning"
)


def responses(backend, answers: list[tuple[str, int | None, str | None]]):
    """A survey_responses table from (responded_at, score, survey) triples."""
    table = pa.table(
        {
            "response_id": pa.array([f"r{i}" for i in range(len(answers))], pa.string()),
            "customer_id": pa.array([None] * len(answers), pa.string()),
            "responded_at": pa.array(
                pd.to_datetime([a[0] for a in answers], format="ISO8601"), pa.timestamp("us")
            ),
            "survey": pa.array([a[2] for a in answers], pa.string()),
            "score": pa.array([a[1] for a in answers], pa.int64()),
        }
    )
    return backend.create_table("survey_responses", table, overwrite=True)


def counts(promoters: int, passives: int, detractors: int, at: str = "2024-01-10") -> list:
    scores = [10] * promoters + [8] * passives + [2] * detractors
    return [(at, s, "nps") for s in scores]


def overall(backend, answers) -> dict:
    rows = run(nps_overall(responses(backend, answers))).to_dict("records")
    assert len(rows) == 1
    return rows[0]


def test_published_margin_of_error(backend):
    # talkstats.com thread "Net Promoter Score - Calculating Confidence Intervals and Margin
    # of Error": 1162 answers, 291 promoters, 476 passives, 395 detractors; NPS -9, 95 %
    # margin of error 4.4 points.
    got = overall(backend, counts(291, 476, 395))
    assert got["nps_responses"] == 1162
    assert round(got["nps"]) == -9
    assert round(got["nps_ci_high"] - got["nps"], 1) == 4.4
    assert got["nps"] - got["nps_ci_low"] == pytest.approx(got["nps_ci_high"] - got["nps"])


def test_hand_computed_interval(backend):
    # 9 promoters, 6 passives, 3 detractors: p = 1/2, d = 1/6, NPS = 33.3 points;
    # p + d - (p - d)^2 = 5/9 (the variance of the +1/0/-1 ticket in whuber's answer on
    # Cross Validated, "How can I calculate margin of error in a NPS result?"), so the
    # half-width is 196 sqrt(5/9 / 18) = 34.434 points.
    got = overall(backend, counts(9, 6, 3))
    assert got["nps"] == pytest.approx(100 / 3)
    assert got["nps_ci_low"] == pytest.approx(100 / 3 - 196 * math.sqrt(5 / 162))
    assert got["nps_ci_high"] == pytest.approx(67.767, abs=5e-4)
    assert got["nps_ci_low"] == pytest.approx(-1.100, abs=5e-4)


def test_interval_is_clipped_to_the_scale(backend):
    # 2 promoters, 1 passive: NPS 66.7; v = (2/3 - 4/9) / 3 = 2/27; half-width 196 sqrt(2/27)
    # = 53.3 points, so the upper end (120) is clipped to 100
    got = overall(backend, counts(2, 1, 0))
    assert got["nps"] == pytest.approx(200 / 3)
    assert got["nps_ci_high"] == 100.0
    assert got["nps_ci_low"] == pytest.approx(200 / 3 - 196 * math.sqrt(2 / 27))
    everyone = overall(backend, counts(0, 0, 4))
    assert (everyone["nps"], everyone["nps_ci_low"], everyone["nps_ci_high"]) == (-100,) * 3


def test_one_answer_has_no_interval_and_none_has_no_score(backend):
    one = overall(backend, counts(0, 1, 0))
    assert one["nps"] == 0.0 and one["nps_responses"] == 1
    assert one["nps_ci_low"] is None or math.isnan(one["nps_ci_low"])
    assert one["nps_ci_high"] is None or math.isnan(one["nps_ci_high"])
    none = overall(backend, [("2024-01-01", 10, "exit")])
    assert none["nps_responses"] == 0
    assert none["nps"] is None or math.isnan(none["nps"])


def test_which_rows_are_nps_answers(backend):
    answers = [
        ("2024-01-01", 10, "nps"),
        ("2024-01-01", 9, None),  # no survey named: NPS
        ("2024-01-01", 0, " NPS "),
        ("2024-01-01", 7, "exit"),  # another survey
        ("2024-01-01", None, "nps"),  # no score
        ("2024-01-01", 11, "nps"),  # off the scale
    ]
    got = overall(backend, answers)
    assert got["nps_responses"] == 3
    assert got["nps"] == pytest.approx(100 / 3)


def test_by_period_by_hand(backend):
    answers = [
        ("2023-12-31 23:00", 10, "nps"),  # before `first`: left out
        *counts(9, 6, 3, at="2024-01-15 12:00"),
        ("2024-03-02", 3, "nps"),
        ("2024-03-20", 9, "nps"),  # after `as_of`: left out
    ]
    table = responses(backend, answers)
    got = run(
        nps_by_period(table, grain="month", first=dt.date(2024, 1, 1), as_of=dt.date(2024, 3, 15))
    )
    assert list(got.columns[1:]) == list(NPS_PERIOD_COLUMNS)
    assert got.period.tolist() == ["2024-01", "2024-02", "2024-03"]
    assert got.responses.tolist() == [18, 0, 1]
    assert got.promoters.tolist() == [9, 0, 0]
    assert got.passives.tolist() == [6, 0, 0]
    assert got.detractors.tolist() == [3, 0, 1]
    assert got.nps.iloc[0] == pytest.approx(100 / 3)
    assert math.isnan(got.nps.iloc[1]) and got.nps.iloc[2] == -100.0
    assert got.ci_low.iloc[0] == pytest.approx(-1.100, abs=5e-4)
    assert got.ci_low.iloc[1:].isna().all() and got.ci_high.iloc[1:].isna().all()
    assert run(nps_overall(table)).nps_responses.iloc[0] == 21


def test_answers_are_dated_in_the_business_zone(backend):
    # 03:00 UTC on 1 February is still 31 January in New York
    answers = [("2024-02-01 03:00", 10, "nps"), ("2024-02-01 06:00", 0, "nps")]
    table = responses(backend, answers)
    span = (dt.datetime(2024, 2, 1, 3), dt.datetime(2024, 2, 1, 6))
    scope = {"grain": "month", "first": dt.date(2024, 1, 1), "as_of": dt.date(2024, 2, 29)}
    local = run(nps_by_period(table, timezone="America/New_York", span=span, **scope))
    assert local.promoters.tolist() == [1, 0] and local.detractors.tolist() == [0, 1]
    utc = run(nps_by_period(table, **scope))
    assert utc.responses.tolist() == [0, 2]


def test_missing_columns_are_a_user_error(backend):
    table = backend.create_table("bad", pa.table({"score": [1, 2]}), overwrite=True)
    with pytest.raises(UserError, match="no responded_at column"):
        nps_overall(table)


def test_matches_the_oracle_on_random_answers(backend):
    rng = np.random.default_rng(8)
    start = dt.datetime(2023, 1, 1)
    moments = [start + dt.timedelta(minutes=int(m)) for m in rng.integers(0, 60 * 24 * 500, 700)]
    scores = rng.choice(11, size=len(moments), p=[0.03] * 7 + [0.12, 0.17, 0.25, 0.25])
    answers = [(m.isoformat(), int(s), "nps") for m, s in zip(moments, scores, strict=True)]
    table = responses(backend, answers)
    first, as_of = dt.date(2023, 2, 1), dt.date(2024, 3, 31)
    got = run(nps_by_period(table, grain="quarter", first=first, as_of=as_of))
    for row in got.itertuples():
        inside = [
            int(s)
            for m, s in zip(moments, scores, strict=True)
            if first <= m.date() <= as_of and f"{m.year}-Q{(m.month - 1) // 3 + 1}" == row.period
        ]
        want = nps_oracle(inside)
        assert row.responses == want["responses"] > 10
        for name in ("nps", "ci_low", "ci_high"):
            assert getattr(row, name) == pytest.approx(want[name], rel=1e-12), name
    whole = overall(backend, answers)
    want = nps_oracle([int(s) for s in scores])
    assert whole["nps_responses"] == want["responses"]
    assert (whole["nps"], whole["nps_ci_low"], whole["nps_ci_high"]) == pytest.approx(
        (want["nps"], want["ci_low"], want["ci_high"]), rel=1e-12
    )
