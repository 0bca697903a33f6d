"""Cohort table on DuckDB, SQLite and PostgreSQL: a hand-computed shop with a gap, a partial
last period and purchases outside the scope; one customer; the oracle for every grain."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from oracle import cohort_oracle
from shop import SCOPES, frame, load, random_rows, run

from holdfast.analytics.cohorts import COHORT_TABLE_COLUMNS, cohort_table
from holdfast.errors import UserError

pytestmark = pytest.mark.filterwarnings(
    "ignore:The 'future.infer_string' option is deprecated:pandas.errors.Pandas4Warning"
)

ROWS = [
    ("e", "2020-01-01", 99.0),  # before `first`: ignored
    ("a", "2020-01-05", 10.0),
    ("b", "2020-01-20", 20.0),
    ("b", "2020-01-25", 5.0),
    ("a", "2020-02-03", 30.0),
    ("c", "2020-02-29", 8.0),
    ("a", "2020-03-01", 10.0),
    ("b", "2020-03-10", 40.0),  # b skipped February
    ("d", "2020-03-16", 50.0),  # after `as_of`: ignored
]


def test_cohorts_by_hand(backend):
    got = run(
        cohort_table(
            load(backend, ROWS),
            grain="month",
            first=dt.date(2020, 1, 5),
            as_of=dt.date(2020, 3, 15),
        )
    )
    assert list(got.columns) == list(COHORT_TABLE_COLUMNS)
    assert got.cohort.tolist() == ["2020-01"] * 3 + ["2020-02"] * 2
    assert got.cohort_size.tolist() == [2, 2, 2, 1, 1]
    assert got.age.tolist() == [0, 1, 2, 0, 1]
    assert got.period.tolist() == ["2020-01", "2020-02", "2020-03", "2020-02", "2020-03"]
    assert got.partial.dtype == bool
    assert got.partial.tolist() == [False, False, True, False, True]
    assert got.buyers.tolist() == [2, 1, 2, 1, 0]
    assert got.active_share.tolist() == pytest.approx([1.0, 0.5, 1.0, 1.0, 0.0])
    assert got.revenue_per_member_cumulative.tolist() == pytest.approx(
        [35 / 2, 65 / 2, 115 / 2, 8.0, 8.0]
    )


def test_weekly_labels_and_a_single_customer(backend):
    got = run(
        cohort_table(
            load(backend, [("solo", "2020-12-31", 4.0)]),
            grain="week",
            first=dt.date(2020, 12, 31),
            as_of=dt.date(2021, 1, 12),
        )
    )
    assert got.cohort.tolist() == ["2020-W53"] * 3
    assert got.period.tolist() == ["2020-W53", "2021-W01", "2021-W02"]
    assert got.active_share.tolist() == pytest.approx([1.0, 0.0, 0.0])
    assert got.revenue_per_member_cumulative.tolist() == pytest.approx([4.0, 4.0, 4.0])


def test_as_of_before_first_is_refused(backend):
    with pytest.raises(UserError, match="before the first"):
        cohort_table(
            load(backend, ROWS), grain="month", first=dt.date(2020, 2, 1), as_of=dt.date(2020, 1, 1)
        )


@pytest.mark.parametrize(("grain", "first", "as_of"), SCOPES)
def test_matches_the_oracle_on_a_random_shop(backend, grain, first, as_of):
    rows = random_rows(seed=2)
    got = run(cohort_table(load(backend, rows), grain=grain, first=first, as_of=as_of))
    want = cohort_oracle(frame(rows), grain, first, as_of)
    assert len(got) == len(want) > 1
    for column in ("cohort", "cohort_size", "age"):
        assert got[column].tolist() == want[column].tolist(), column
    for column in ("active_share", "revenue_per_member_cumulative"):
        assert np.allclose(got[column], want[column], rtol=1e-12), column
