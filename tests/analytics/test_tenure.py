"""Spend by tenure on DuckDB, SQLite and PostgreSQL: month ends and band edges by hand, one
period split across two bands, one customer, and the oracle (dateutil's relativedelta)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from oracle import tenure_oracle
from shop import SCOPES, frame, load, random_rows, run

from holdfast.analytics.tenure import band_labels, tenure_spend

pytestmark = pytest.mark.filterwarnings(
    "ignore:The 'future.infer_string' option is deprecated:pandas.errors.Pandas4Warning"
)

ROWS = [
    ("a", "2020-01-31 09:00", 10.0),
    ("a", "2020-01-31 18:00", 5.0),  # first month
    ("a", "2020-02-28", 20.0),  # 0 whole months (28 Feb < 31st)
    ("a", "2020-03-01", 30.0),  # 1 month
    ("a", "2020-04-30", 40.0),  # 2 months
    ("a", "2020-05-01", 7.0),  # 3 months: 3-6
    ("a", "2021-01-31", 50.0),  # 12 months: 1-2 years
    ("a", "2022-01-30", 1.0),  # 23 months: 1-2 years ...
    ("a", "2022-01-31", 60.0),  # ... and 24 the next day, in the same month: 2+ years
    ("b", "2020-06-15", 100.0),
    ("b", "2020-06-20", 50.0),  # first month
    ("b", "2020-12-14", 2.0),  # 5 months: 3-6
    ("b", "2020-12-15", 8.0),  # 6 months: 6-12
]


def test_tenure_by_hand(backend):
    got = run(
        tenure_spend(
            load(backend, ROWS),
            grain="month",
            first=dt.date(2020, 1, 31),
            as_of=dt.date(2022, 6, 30),
        )
    )
    assert got.tenure_band.tolist() == [
        "first month",
        "0–3 months",
        "3–6 months",
        "6–12 months",
        "1–2 years",
        "2+ years",
    ]
    assert got.band_order.tolist() == [1, 2, 3, 4, 5, 6]
    assert got.customers.tolist() == [2, 1, 2, 1, 1, 1]
    assert got.customer_periods.tolist() == [2, 3, 2, 1, 2, 1]
    assert got.orders.tolist() == [4, 3, 2, 1, 2, 1]
    assert got.revenue.tolist() == pytest.approx([165, 90, 9, 8, 51, 60])
    assert got.spend_per_customer.tolist() == pytest.approx([82.5, 30, 4.5, 8, 25.5, 60])


def test_one_customer_leaves_the_later_bands_empty(backend):
    rows = [("solo", "2021-03-01", 10.0), ("solo", "2021-03-04", 5.0)]
    got = run(
        tenure_spend(
            load(backend, rows), grain="week", first=dt.date(2021, 3, 1), as_of=dt.date(2021, 3, 9)
        )
    )
    assert got.tenure_band.tolist() == band_labels("week")
    assert got.tenure_band.iloc[0] == "first week"
    assert got.customers.tolist() == [1, 0, 0, 0, 0, 0]
    assert got.spend_per_customer.iloc[0] == pytest.approx(15.0)
    assert all(math.isnan(v) for v in got.spend_per_customer.iloc[1:])


@pytest.mark.parametrize(("grain", "first", "as_of"), SCOPES)
def test_matches_the_oracle_on_a_random_shop(backend, grain, first, as_of):
    rows = random_rows(seed=4)
    got = run(tenure_spend(load(backend, rows), grain=grain, first=first, as_of=as_of))
    want = tenure_oracle(frame(rows), grain, first, as_of)
    assert got.band_order.tolist() == (want.band_order + 1).tolist()
    assert got.customers.tolist() == want.customers.tolist()
    assert got.customer_periods.tolist() == want.customer_periods.tolist()
    assert np.allclose(got.revenue, want.revenue, rtol=1e-12)
    with np.errstate(invalid="ignore"):
        spend = want.revenue / want.customer_periods
    assert np.allclose(got.spend_per_customer, spend, rtol=1e-12, equal_nan=True)
    assert (got.customers[1:] > 0).any()
