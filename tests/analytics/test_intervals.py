"""Days between purchases on DuckDB, SQLite and PostgreSQL: every bucket edge, same-day orders,
hand-computed quartiles, nobody buying twice, and the oracle on a random shop."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from oracle import gap_histogram_oracle, gaps_oracle
from shop import frame, load, random_rows, run

from holdfast.analytics.intervals import (
    BUCKETS,
    counted_gaps,
    days_between_orders,
    gap_counts,
    interval_quartiles,
)
from holdfast.analytics.steps import purchase_steps
from holdfast.analytics.tenure import step_counts

pytestmark = pytest.mark.filterwarnings(
    "ignore:The 'future.infer_string' option is deprecated:pandas.errors.Pandas4Warning"
)

START = dt.date(2020, 1, 1)


def pair(customer: str, gap: int) -> list[tuple[str, str, float]]:
    """Two purchases ``gap`` days apart."""
    second = START + dt.timedelta(days=gap)
    return [(customer, START.isoformat(), 1.0), (customer, second.isoformat(), 1.0)]


def test_every_bucket_edge(backend):
    gaps = [1, 7, 8, 14, 15, 30, 31, 60, 61, 90, 91, 180, 181, 365, 366]
    rows = [row for i, gap in enumerate(gaps) for row in pair(f"g{i}", gap)]
    got = run(days_between_orders(load(backend, rows)))
    assert got.bucket.tolist() == [label for label, _, _ in BUCKETS]
    assert got.bucket_order.tolist() == list(range(1, 9))
    assert got["count"].tolist() == [2, 2, 2, 2, 2, 2, 2, 1]


def test_same_day_orders_are_one_purchase_day(backend):
    rows = [
        ("a", "2020-01-01 08:00", 5.0),
        ("a", "2020-01-01 21:00", 5.0),
        ("a", "2020-01-08 12:00", 5.0),  # 7 days
        ("a", "2020-01-09 12:00", 5.0),  # 1 day
        ("a", "2020-02-08 12:00", 5.0),  # 30 days
        ("b", "2020-01-01 12:00", 5.0),
        ("b", "2021-01-02 12:00", 5.0),  # 367 days
        ("c", "2020-05-05 12:00", 5.0),  # bought once: no gap
    ]
    bought = load(backend, rows)
    got = run(days_between_orders(bought))
    assert got["count"].tolist() == [2, 0, 1, 0, 0, 0, 0, 1]
    quartiles = run(interval_quartiles(bought)).iloc[0]
    # sorted gaps 1, 7, 30, 367; h = 3p
    assert quartiles.q1 == pytest.approx(1 + 0.75 * 6)
    assert quartiles["median"] == pytest.approx(7 + 0.5 * 23)
    assert quartiles.q3 == pytest.approx(30 + 0.25 * 337)


def test_one_gap_is_every_quartile(backend):
    got = run(interval_quartiles(load(backend, pair("a", 12)))).iloc[0]
    assert (got.q1, got["median"], got.q3) == (12.0, 12.0, 12.0)


def test_nobody_bought_twice(backend):
    rows = [("a", "2020-01-01", 3.0), ("b", "2020-01-01", 4.0), ("b", "2020-01-01", 1.0)]
    bought = load(backend, rows)
    assert run(days_between_orders(bought))["count"].tolist() == [0] * len(BUCKETS)
    got = run(interval_quartiles(bought))
    assert len(got) == 1
    assert got.isna().all(axis=None)


def test_matches_the_oracle_on_a_random_shop(backend):
    rows = random_rows(seed=5)
    bought = load(backend, rows)
    want = frame(rows)
    assert run(days_between_orders(bought))["count"].tolist() == gap_histogram_oracle(want)
    gaps = gaps_oracle(want)
    assert len(gaps) > 100
    got = run(interval_quartiles(bought)).iloc[0]
    expected = np.percentile(gaps, [25, 50, 75])
    assert [got.q1, got["median"], got.q3] == pytest.approx(expected.tolist(), rel=1e-12)


def test_purchase_steps_by_hand(backend):
    rows = [
        ("a", "2020-01-01 08:00", 5.0),
        ("a", "2020-01-08 12:00", 6.0),
        ("a", "2020-01-01 21:00", 7.0),  # a second order on the first day
        ("b", "2020-01-03 12:00", 8.0),
    ]
    got = run(purchase_steps(load(backend, rows)))
    day = 18262  # 2020-01-01
    steps = sorted(
        (int(r.first_day), int(r.order_day), -1 if pd.isna(r.previous_day) else int(r.previous_day))
        for r in got.itertuples()
    )
    # one of a's two orders on its first day comes first (no previous day), the other after it
    assert steps == [
        (day, day, -1),
        (day, day, day),
        (day, day + 7, day),
        (day + 2, day + 2, -1),
    ]


def test_gaps_counted_with_the_tenure_steps_are_the_gap_counts(backend):
    rows = random_rows(seed=5)
    bought = load(backend, rows)
    want = run(gap_counts(bought).order_by("days"))
    scope = {"grain": "month", "first": dt.date(2019, 12, 1), "as_of": dt.date(2022, 12, 31)}
    got = run(counted_gaps(step_counts(purchase_steps(bought), **scope)).order_by("days"))
    assert got.days.tolist() == want.days.tolist()
    assert got.gaps.tolist() == want.gaps.tolist()
    assert sum(got.gaps) == len(gaps_oracle(frame(rows)))
