"""Lorenz curve and top-customer revenue share on DuckDB, SQLite and PostgreSQL: hand-computed
points between whole customers, ties, one customer, no customers, the rounding rule, oracle."""

from __future__ import annotations

import numpy as np
import pytest
from oracle import lorenz_oracle, top_share_oracle
from shop import frame, load, random_rows, run

from holdfast.analytics.concentration import (
    lorenz_curve,
    lorenz_of,
    spend_distribution,
    top_revenue_share,
    top_share_of,
)
from holdfast.analytics.customers import customer_values
from holdfast.errors import UserError

pytestmark = pytest.mark.filterwarnings(
    "ignore:The 'future.infer_string' option is deprecated:pandas.errors.Pandas4Warning"
)

#: spend a 10, b 30, c 60 (b's in two orders)
THREE = [
    ("c", "2021-01-01", 60.0),
    ("b", "2021-01-02", 20.0),
    ("a", "2021-01-03", 10.0),
    ("b", "2021-02-01", 10.0),
]


def top(backend, rows, share):
    return run(top_revenue_share(load(backend, rows), share=share)).top_revenue_share.iloc[0]


def test_lorenz_by_hand(backend):
    bought = load(backend, THREE)
    got = run(lorenz_curve(bought, points=4))
    assert got.customer_share.tolist() == pytest.approx([0, 1 / 3, 2 / 3, 1])
    assert got.revenue_share.tolist() == pytest.approx([0, 0.1, 0.4, 1])
    # between whole customers the curve is a straight line: 0.75, 1.5 and 2.25 customers
    got = run(lorenz_curve(bought, points=5))
    assert got.revenue_share.tolist() == pytest.approx([0, 0.075, 0.25, 0.55, 1])


def test_lorenz_of_equal_spenders_and_of_one_customer_is_the_diagonal(backend):
    ties = [("a", "2021-01-01", 7.0), ("b", "2021-01-01", 7.0), ("c", "2021-01-05", 7.0)]
    for rows in (ties, [("solo", "2021-03-03", 12.0)]):
        got = run(lorenz_curve(load(backend, rows), points=11))
        assert got.revenue_share.tolist() == pytest.approx(got.customer_share.tolist())
        assert got.customer_share.tolist() == pytest.approx([i / 10 for i in range(11)])


def test_no_customers(backend):
    bought = load(backend, THREE)
    empty = bought.filter(bought.amount < 0)
    got = run(lorenz_curve(empty, points=3))
    assert got.customer_share.tolist() == [0.0, 0.5, 1.0]
    assert got.revenue_share.isna().all()
    assert np.isnan(run(top_revenue_share(empty)).top_revenue_share.iloc[0])


def test_top_share_by_hand(backend):
    assert top(backend, THREE, 0.2) == pytest.approx(0.6)  # 0.6 customers -> 1
    assert top(backend, THREE, 0.5) == pytest.approx(0.9)  # 1.5 -> 2 (halves up)
    assert top(backend, THREE, 0.1) == pytest.approx(0.6)  # 0.3 -> at least 1
    assert top(backend, THREE, 1) == pytest.approx(1.0)


def test_top_share_rounds_the_decimal_share_not_its_float(backend):
    rows = [(f"c{i:02d}", "2021-01-01", float(100 - i)) for i in range(50)]
    # 0.29 x 50 = 14.5 exactly, though 0.29 * 50 == 14.499999999999998 in floats: 15 customers
    want = sum(range(86, 101)) / sum(range(51, 101))
    assert top(backend, rows, 0.29) == pytest.approx(want)


def test_top_share_with_tied_spenders(backend):
    rows = [("a", "2021-01-01", 5.0), ("b", "2021-01-01", 5.0), ("c", "2021-01-01", 5.0)]
    assert top(backend, rows, 0.5) == pytest.approx(2 / 3)


@pytest.mark.parametrize("share", [0, -0.1, 1.5, "most"])
def test_bad_shares_are_refused(backend, share):
    with pytest.raises(UserError, match="share of top customers"):
        top_revenue_share(load(backend, THREE), share=share)


@pytest.mark.parametrize("points", [1, 0, 2.5, True])
def test_bad_point_counts_are_refused(backend, points):
    with pytest.raises(UserError, match="at least 2 points"):
        lorenz_curve(load(backend, THREE), points=points)


@pytest.mark.parametrize("points", [101, 7, 1000])
def test_lorenz_matches_the_oracle_on_a_random_shop(backend, points):
    rows = random_rows(seed=9)
    got = run(lorenz_curve(load(backend, rows), points=points))
    want = lorenz_oracle(frame(rows), points)
    assert got.customer_share.tolist() == pytest.approx(np.linspace(0, 1, points).tolist())
    assert np.allclose(got.revenue_share, want, rtol=1e-12, atol=1e-15)
    assert (got.revenue_share.diff().iloc[1:] >= 0).all()
    assert (got.revenue_share.iloc[0], got.revenue_share.iloc[-1]) == (0.0, 1.0)


@pytest.mark.parametrize("share", [0.01, 0.2, 0.25, 0.5, 0.99])
def test_top_share_matches_the_oracle_on_a_random_shop(backend, share):
    rows = random_rows(seed=9)
    want = top_share_oracle(frame(rows), share)
    assert top(backend, rows, share) == pytest.approx(want, rel=1e-12)


def test_spend_distribution_counts_customers_per_distinct_spend(backend):
    rows = [*THREE, ("d", "2021-03-01", 30.0), ("e", "2021-03-02", 10.0)]
    got = run(spend_distribution(customer_values(load(backend, rows))).order_by("revenue"))
    assert got.revenue.tolist() == pytest.approx([10.0, 30.0, 60.0])
    assert got.customers.tolist() == [2, 2, 1]
    assert got.revenue_sum.tolist() == pytest.approx([20.0, 60.0, 60.0])


def test_one_spend_holding_several_points_and_parts_of_others(backend):
    # sorted 5, 5, 5, 20: points 1 to 4 of 7 fall among the tied spenders, point 5 a third of
    # the way into the biggest one
    rows = [(c, "2021-01-01", 5.0) for c in "abc"] + [("d", "2021-01-02", 20.0)]
    got = run(lorenz_curve(load(backend, rows), points=7))
    assert got.revenue_share.tolist() == pytest.approx(
        [0, 10 / 3 / 35, 20 / 3 / 35, 10 / 35, 40 / 3 / 35, (15 + 20 / 3) / 35, 1]
    )
    assert top(backend, rows, 0.5) == pytest.approx(25 / 35)


@pytest.mark.parametrize("points", [101, 7])
def test_curve_and_top_share_from_the_callers_customer_values(backend, points):
    rows = random_rows(seed=9)
    dist = spend_distribution(customer_values(load(backend, rows)))
    got = run(lorenz_of(dist, points))
    assert np.allclose(got.revenue_share, lorenz_oracle(frame(rows), points), rtol=1e-12)
    share = run(top_share_of(dist, 0.2)).top_revenue_share.iloc[0]
    assert share == pytest.approx(top_share_oracle(frame(rows), 0.2), rel=1e-12)
