"""RFM values and mid-distribution quantile scores on DuckDB, SQLite and PostgreSQL: hand-computed
fixtures with ties, tiny shops, other scales, and a pandas average-rank oracle."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from segment_helpers import purchases_of, run

from holdfast.analytics.rfm import model_summary, rfm_scores, rfm_values
from holdfast.analytics.summary import customer_summary
from holdfast.errors import UserError

AS_OF = dt.date(2024, 3, 31)

#: a: 2 purchase days (two orders on 02-01 merge), 20.0, last 59 days ago
#: b: 1 day, 30.0, 30 days ago; c: 3 days, 3.0, 30 days ago (ties b on recency)
THREE = [
    ("a", "2024-01-01", 10.0),
    ("a", "2024-02-01", 5.0),
    ("a", "2024-02-01", 5.0),
    ("b", "2024-03-01", 30.0),
    ("c", "2024-01-15", 1.0),
    ("c", "2024-02-15", 1.0),
    ("c", "2024-03-01", 1.0),
    ("d", "2024-04-02", 99.0),  # after as-of: not there yet
]


def scores(backend, rows, bins=5, as_of=AS_OF):
    return run(rfm_scores(rfm_values(purchases_of(backend, rows), as_of=as_of), bins=bins))


def test_values_by_hand(backend):
    got = run(rfm_values(purchases_of(backend, THREE), as_of=AS_OF))
    assert got.customer_id.tolist() == ["a", "b", "c"]
    assert got.orders.tolist() == [2, 1, 3]
    assert got.spend.tolist() == pytest.approx([20.0, 30.0, 3.0])
    assert got.recency_days.tolist() == [59, 30, 30]
    assert [str(d) for d in got.previous_date] == ["2024-01-01", "None", "2024-02-15"]


def test_ties_by_hand(backend):
    # n = 3. R: a worst (p 1/6 -> 1); b, c tie (less 1, equal 2: p 4/6 -> 1 + floor(3.33) = 4)
    # F: 1, 2, 3 days -> p 1/6, 3/6, 5/6 -> 1, 3, 5. M: 3.0 < 20 < 30 -> c 1, a 3, b 5
    got = scores(backend, THREE)
    assert got.r_score.tolist() == [1, 4, 4]
    assert got.f_score.tolist() == [3, 1, 5]
    assert got.m_score.tolist() == [3, 5, 1]


def test_five_distinct_customers_get_one_to_five(backend):
    rows = [(f"c{i}", f"2024-03-{10 + i:02d}", 10.0 * i) for i in range(1, 6)]
    got = scores(backend, rows)
    assert got.r_score.tolist() == [1, 2, 3, 4, 5]
    assert got.m_score.tolist() == [1, 2, 3, 4, 5]
    assert got.f_score.tolist() == [3] * 5  # everyone bought once: all tie in the middle


def test_one_customer_sits_in_the_middle(backend):
    got = scores(backend, [("solo", "2024-03-01", 5.0)])
    assert got[["r_score", "f_score", "m_score"]].to_numpy().tolist() == [[3, 3, 3]]


def test_two_customers(backend):
    got = scores(backend, [("x", "2024-01-01", 5.0), ("y", "2024-03-01", 50.0)])
    assert got.r_score.tolist() == [2, 4]  # p 1/4 and 3/4
    assert got.m_score.tolist() == [2, 4]


def test_ten_customers_two_per_level(backend):
    rows = [(f"c{i:02d}", "2024-03-01", float(i)) for i in range(10)]
    assert scores(backend, rows).m_score.tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_other_scales(backend):
    rows = [(f"c{i}", "2024-03-01", float(i)) for i in range(6)]
    assert scores(backend, rows, bins=3).m_score.tolist() == [1, 1, 2, 2, 3, 3]
    assert scores(backend, rows, bins=10).m_score.tolist() == [1, 3, 5, 6, 8, 10]


def test_no_customers(backend):
    assert scores(backend, [("late", "2025-01-01", 1.0)]).empty


def test_bins_are_checked():
    with pytest.raises(UserError, match="at least 2 levels"):
        rfm_scores(pd.DataFrame({"x": [1]}), bins=1)  # type: ignore[arg-type]


def oracle(values: pd.Series, bins: int, higher_is_better: bool = True) -> np.ndarray:
    """pandas' average rank is less + (equal + 1) / 2, so p = (rank - 1/2) / n."""
    ranks = (values if higher_is_better else -values).rank(method="average")
    p = (ranks - 0.5) / len(values)
    return np.minimum(1 + np.floor(bins * p + 1e-9), bins).astype(int)


@pytest.mark.parametrize("bins", [4, 5, 7])
def test_random_shop_matches_the_oracle(backend, bins):
    rng = np.random.default_rng(11)
    start = dt.date(2023, 1, 1)
    rows = [
        (
            f"c{rng.integers(60):02d}",
            str(start + dt.timedelta(int(rng.integers(450)))),
            float(rng.choice([5.0, 10.0, 12.5, 40.0])),
        )
        for _ in range(400)
    ]
    got = scores(backend, rows, bins=bins)
    assert got.r_score.tolist() == oracle(got.recency_days, bins, False).tolist()
    assert got.f_score.tolist() == oracle(got.orders, bins).tolist()
    assert got.m_score.tolist() == oracle(got.spend, bins).tolist()


def test_model_summary_equals_customer_summary(backend):
    rng = np.random.default_rng(3)
    start = dt.date(2023, 1, 1)
    rows = [
        (
            f"c{rng.integers(40):02d}",
            str(start + dt.timedelta(int(rng.integers(400)))),
            float(rng.integers(0, 5000)) / 100,
        )
        for _ in range(300)
    ]
    table = purchases_of(backend, rows)
    got = run(model_summary(rfm_values(table, as_of=AS_OF), as_of=AS_OF))
    want = run(customer_summary(table, as_of=AS_OF, time_unit_days="W"))
    assert got.customer_id.tolist() == want.customer_id.tolist()
    assert got.frequency.tolist() == want.frequency.tolist()
    for column in ("recency", "T", "monetary_value"):
        assert got[column].to_numpy() == pytest.approx(want[column].to_numpy(), rel=1e-12)
