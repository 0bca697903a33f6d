"""Per-customer values and headline numbers on DuckDB, SQLite and PostgreSQL: a hand-computed
shop, the edge cases (one customer, an even count for the median, nothing at all) and the
oracle on a random shop."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from oracle import headline_oracle
from shop import frame, load, random_rows, run

from holdfast.analytics.customers import HEADLINE_COLUMNS, customer_values, headline

pytestmark = pytest.mark.filterwarnings(
    "ignore:The 'future.infer_string' option is deprecated:pandas.errors.Pandas4Warning"
)

SMALL = [
    ("a", "2020-01-01 10:00", 10.0),
    ("a", "2020-01-01 15:00", 20.0),  # same day: still a second order
    ("a", "2020-02-01", 40.0),
    ("b", "2020-01-15", 5.0),
    ("c", "2020-03-01", 30.0),
    ("c", "2020-03-02", 30.0),
]


def only_row(expr) -> dict:
    rows = run(expr).to_dict("records")
    assert len(rows) == 1
    return rows[0]


def test_customer_values_by_hand(backend):
    got = run(customer_values(load(backend, SMALL)).order_by("customer_id"))
    assert got.customer_id.tolist() == ["a", "b", "c"]
    assert got.orders.tolist() == [3, 1, 2]
    assert got.revenue.tolist() == pytest.approx([70.0, 5.0, 60.0])
    jan1 = 18262  # 2020-01-01
    assert got.first_day.tolist() == [jan1, jan1 + 14, jan1 + 60]
    assert got.last_day.tolist() == [jan1 + 31, jan1 + 14, jan1 + 61]


def test_headline_by_hand(backend):
    row = only_row(headline(load(backend, SMALL)))
    assert list(row) == list(HEADLINE_COLUMNS)
    assert (row["customers"], row["orders"]) == (3, 6)
    assert row["revenue"] == pytest.approx(135.0)
    assert row["first_order"] == dt.date(2020, 1, 1)
    assert row["last_order"] == dt.date(2020, 3, 2)
    assert row["lifetime_repeat_rate"] == pytest.approx(2 / 3)
    assert row["average_order_value"] == pytest.approx(22.5)
    assert row["purchase_frequency"] == pytest.approx(2.0)
    assert row["mean_historical_clv"] == pytest.approx(45.0)
    assert row["median_historical_clv"] == pytest.approx(60.0)


def test_median_of_an_even_number_of_customers_is_interpolated(backend):
    row = only_row(headline(load(backend, [*SMALL, ("d", "2020-03-05", 100.0)])))
    # spend 5, 60, 70, 100 -> halfway between 60 and 70
    assert row["median_historical_clv"] == pytest.approx(65.0)


def test_tied_customers(backend):
    rows = [("a", "2021-05-01", 10.0), ("b", "2021-05-02", 10.0), ("c", "2021-05-03", 10.0)]
    row = only_row(headline(load(backend, rows)))
    assert row["median_historical_clv"] == pytest.approx(10.0)
    assert row["mean_historical_clv"] == pytest.approx(10.0)
    assert row["lifetime_repeat_rate"] == 0.0


def test_a_single_customer_with_one_order(backend):
    row = only_row(headline(load(backend, [("solo", "2022-07-04 23:59", 19.99)])))
    assert (row["customers"], row["orders"]) == (1, 1)
    assert row["lifetime_repeat_rate"] == 0.0
    assert row["average_order_value"] == pytest.approx(19.99)
    assert row["median_historical_clv"] == pytest.approx(19.99)
    assert row["first_order"] == row["last_order"] == dt.date(2022, 7, 4)


def test_no_purchases_gives_zeros_and_nulls(backend):
    bought = load(backend, SMALL)
    row = only_row(headline(bought.filter(bought.amount > 1000)))
    assert (row["customers"], row["orders"], row["revenue"]) == (0, 0, 0.0)
    assert row["first_order"] is None and row["last_order"] is None
    for name in HEADLINE_COLUMNS[5:]:
        assert row[name] is None or math.isnan(row[name]), name


def test_matches_the_oracle_on_a_random_shop(backend):
    rows = random_rows(seed=11)
    got = only_row(headline(load(backend, rows)))
    want = headline_oracle(frame(rows))
    for name in ("customers", "orders", "first_order", "last_order"):
        assert got[name] == want[name], name
    for name in (*HEADLINE_COLUMNS[5:], "revenue"):
        assert got[name] == pytest.approx(want[name], rel=1e-12), name


def test_headline_from_the_callers_customer_values(backend):
    rows = random_rows(seed=11)
    bought = load(backend, rows)
    values = customer_values(bought).select("orders", "revenue")
    got = only_row(headline(bought, values))
    want = headline_oracle(frame(rows))
    for name in ("customers", "orders", "first_order", "last_order"):
        assert got[name] == want[name], name
    for name in (*HEADLINE_COLUMNS[5:], "revenue"):
        assert got[name] == pytest.approx(want[name], rel=1e-12), name
