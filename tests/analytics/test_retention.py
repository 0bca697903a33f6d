"""Retention per period on DuckDB, SQLite and PostgreSQL: the literature's worked example,
hand-built edge cases, and a brute-force oracle on random shops for every grain."""

from __future__ import annotations

import datetime as dt
import math

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from oracle import retention_oracle

from holdfast.analytics.calendar import period_index
from holdfast.analytics.orders import daily_totals, purchases
from holdfast.analytics.retention import MAX_BIT_BOUNDARIES, PERIOD_TABLE_COLUMNS, period_table
from holdfast.errors import UserError

pytestmark = pytest.mark.filterwarnings(
    "ignore:The 'future.infer_string' option is deprecated:pandas.errors.Pandas4Warning"
)


def orders_table(rows: list[tuple[str, str, float]]) -> pa.Table:
    """Canonical orders from (customer, 'YYYY-MM-DD[ HH:MM]', amount) triples."""
    return pa.table(
        {
            "customer_id": [r[0] for r in rows],
            "order_id": [f"o{i}" for i in range(len(rows))],
            "ordered_at": pa.array(pd.to_datetime([r[1] for r in rows]), pa.timestamp("us")),
            "amount": [float(r[2]) for r in rows],
        }
    )


def run_periods(backend, rows, **kwargs) -> pd.DataFrame:
    orders = backend.create_table("orders", orders_table(rows), overwrite=True)
    expr = period_table(purchases(orders), **kwargs)
    return expr.to_pyarrow().to_pandas().set_index("period")


def worked_example_rows() -> list[tuple[str, str, float]]:
    """March 1998 with a 31-day window: S = 100, 90 stay, 7 come back, 10 are new: E = 107."""
    rows = []
    for i in range(100):
        rows.append((f"s{i}", "1998-01-02", 10.0))
        rows.append((f"s{i}", "1998-02-10", 10.0))
        if i < 90:
            rows.append((f"s{i}", "1998-03-10", 20.0))
    for i in range(7):
        rows.append((f"r{i}", "1998-01-05", 10.0))
        rows.append((f"r{i}", "1998-03-20", 30.0))
        rows.append((f"r{i}", "1998-03-21", 30.0))
    for i in range(10):
        rows.append((f"n{i}", "1998-03-05", 50.0))
    return rows


METHODS = ["bits", "runs"]


@pytest.mark.parametrize("method", METHODS)
def test_worked_example_crr_97_percent(backend, method):
    table = run_periods(
        backend,
        worked_example_rows(),
        grain="month",
        window_days=31,
        first=dt.date(1998, 1, 2),
        as_of=dt.date(1998, 3, 31),
        method=method,
    )
    march = table.loc["1998-03"]
    assert list(table.columns[1:]) == list(PERIOD_TABLE_COLUMNS[1:])
    assert (march.customers_start, march.customers_end, march.new_customers) == (100, 107, 10)
    assert (march.retained, march.reactivated, march.lost) == (90, 7, 10)
    assert march.crr == pytest.approx(0.97)
    assert march.exact_retention == pytest.approx(0.90)
    assert march.churn_rate == pytest.approx(0.10)
    assert not march.partial
    assert (march.buyers, march.orders) == (107, 90 + 14 + 10)
    assert march.revenue == pytest.approx(90 * 20 + 14 * 30 + 10 * 50)
    assert march.repeat_rate == pytest.approx(7 / 107)
    assert march.purchase_frequency == pytest.approx(114 / 107)
    assert march.average_order_value == pytest.approx(march.revenue / 114)
    january = table.loc["1998-01"]
    assert january.customers_start == 0 and math.isnan(january.crr)
    assert january.new_customers == 107 and january.customers_end == 107


@pytest.mark.parametrize("method", METHODS)
def test_partial_last_period_closes_at_the_end_of_the_data(backend, method):
    rows = [("a", "1998-01-10", 5.0), ("b", "1998-02-20", 5.0), ("a", "1998-03-03", 5.0)]
    table = run_periods(
        backend,
        rows,
        grain="month",
        window_days=31,
        first=dt.date(1998, 1, 10),
        as_of=dt.date(1998, 3, 15),
        method=method,
    )
    assert table.partial.tolist() == [False, False, True]
    march = table.loc["1998-03"]
    assert march.end == dt.date(1998, 4, 1)
    # active at the end of the data (16 March): orders in [14 Feb, 16 Mar) -> a and b
    assert (march.customers_start, march.customers_end, march.retained) == (1, 2, 1)
    assert march.reactivated == 1  # a lapsed in February and came back


def test_cancelled_and_refunded_orders_are_not_purchases(backend):
    orders = pa.table(
        {
            "customer_id": ["a", "a", "b", "c"],
            "order_id": ["1", "2", "3", "4"],
            "ordered_at": pa.array(
                pd.to_datetime(["1998-01-05", "1998-01-06", "1998-01-07", "1998-01-08"]),
                pa.timestamp("us"),
            ),
            "amount": [10.0, 20.0, 30.0, 40.0],
            "refunded": [0.0, 5.0, 30.0, 0.0],
            "status": ["completed", "completed", "completed", "cancelled"],
        }
    )
    table = backend.create_table("orders", orders, overwrite=True)
    result = (
        period_table(
            purchases(table),
            grain="month",
            window_days=365,
            first=dt.date(1998, 1, 5),
            as_of=dt.date(1998, 1, 31),
        )
        .to_pyarrow()
        .to_pandas()
    )
    assert result.loc[0, "buyers"] == 1 and result.loc[0, "orders"] == 2
    assert result.loc[0, "revenue"] == pytest.approx(25.0)
    assert result.loc[0, "new_customers"] == 1


def test_bits_refuses_more_boundaries_than_it_counts_and_auto_falls_back(backend):
    rows = [("a", "2020-01-01", 5.0), ("a", "2020-04-01", 5.0), ("b", "2020-03-15", 5.0)]
    scope = {
        "grain": "day",
        "window_days": 30,
        "first": dt.date(2020, 1, 1),
        "as_of": dt.date(2020, 4, 1),
    }
    boundaries = period_index(scope["as_of"], "day") + 2 - period_index(scope["first"], "day")
    assert boundaries > MAX_BIT_BOUNDARIES
    with pytest.raises(UserError, match="more than the bits plan counts"):
        run_periods(backend, rows, **scope, method="bits")
    auto = run_periods(backend, rows, **scope)
    runs = run_periods(backend, rows, **scope, method="runs")
    pd.testing.assert_frame_equal(auto, runs)
    assert auto.loc["2020-03-16"].customers_start == 1


def test_repeat_buyers_with_many_orders_in_a_period(backend):
    """The bits plan packs a 4-bit order counter per period: 16 or more orders of one customer
    in a period overflow it (into the next counter, or out of a word of 13), and those
    customers are counted from their own orders."""
    rows = [("one", "2020-01-05", 1.0)]
    rows += [("heavy", "2020-01-10", 1.0)] * 16  # carries into February's counter
    rows += [("heavy", "2020-02-10", 1.0)]  # one order: not a repeat buyer in February
    rows += [("top", "2021-01-03", 1.0)] * 17  # counter 12 of word 0 carries out of it
    rows += [("guest", f"2020-{m:02d}-02", 1.0) for m in range(1, 13) for _ in range(40)]
    rows += [("pair", "2020-02-01", 1.0), ("pair", "2020-02-28", 1.0)]
    rows += [("pair", "2021-02-01", 1.0), ("pair", "2021-02-02", 1.0)]
    scope = {
        "grain": "month",
        "window_days": 365,
        "first": dt.date(2020, 1, 2),
        "as_of": dt.date(2021, 2, 20),
    }
    bits = run_periods(backend, rows, **scope, method="bits")
    runs = run_periods(backend, rows, **scope, method="runs")
    pd.testing.assert_frame_equal(bits, runs)
    repeat = (bits.repeat_rate * bits.buyers).round().astype(int)
    assert repeat.loc["2020-01"] == 2  # heavy and guest, not one
    assert repeat.loc["2020-02"] == 2  # guest and pair, not heavy
    assert repeat.loc["2020-03"] == 1
    assert repeat.loc["2021-01"] == 1  # top
    assert repeat.loc["2021-02"] == 1  # pair
    assert bits.loc["2020-01", "orders"] == 1 + 16 + 40
    assert (bits.buyers >= repeat).all() and repeat.sum() == 2 + 2 + 10 + 1 + 1


def test_daily_totals_given_in_memory_give_the_same_table(backend):
    rows = random_shop(seed=3, customers=30)
    orders = backend.create_table("orders", orders_table(rows), overwrite=True)
    bought = purchases(orders)
    scope = {"grain": "month", "window_days": 90, "as_of": dt.date(2021, 5, 17)}
    scope["first"] = min(dt.date.fromisoformat(r[1]) for r in rows)
    daily = daily_totals(bought).to_pyarrow()
    assert sum(daily["orders"].to_pylist()) == len(rows)
    given = period_table(bought, **scope, daily=ibis.memtable(daily)).to_pyarrow().to_pandas()
    pd.testing.assert_frame_equal(given, period_table(bought, **scope).to_pyarrow().to_pandas())


def test_unknown_method_is_refused(backend):
    with pytest.raises(UserError, match="unknown method"):
        run_periods(
            backend,
            [("a", "1998-01-10", 5.0)],
            grain="month",
            window_days=31,
            first=dt.date(1998, 1, 10),
            as_of=dt.date(1998, 1, 31),
            method="magic",
        )


def test_window_shorter_than_the_period_is_refused(backend):
    with pytest.raises(UserError, match="shorter than a month"):
        run_periods(
            backend,
            [("a", "1998-01-10", 5.0)],
            grain="month",
            window_days=30,
            first=dt.date(1998, 1, 10),
            as_of=dt.date(1998, 1, 31),
        )


def random_shop(seed: int, customers: int = 60) -> list[tuple[str, str, float]]:
    rng = np.random.default_rng(seed)
    rows = []
    start = dt.date(2019, 12, 20)
    for c in range(customers):
        day = int(rng.integers(0, 500))
        while day < 760:
            rows.append((f"c{c}", (start + dt.timedelta(days=day)).isoformat(), 1.0 + c % 7))
            if rng.random() < 0.1:  # a second order the same day: a repeat buyer at any grain
                rows.append((f"c{c}", (start + dt.timedelta(days=day)).isoformat(), 2.5))
            day += int(rng.geometric(1 / 45)) + int(rng.integers(0, 2)) * 200
    return rows


@pytest.mark.parametrize(
    ("grain", "window"),
    [
        ("day", 3),
        ("week", 7),
        ("week", 30),
        ("month", 31),
        ("month", 365),
        ("quarter", 92),
        ("year", 366),
    ],
)
@pytest.mark.parametrize("method", METHODS)
def test_matches_the_definitions_on_random_shops(backend, grain, window, method):
    rows = random_shop(seed=7)
    as_of = dt.date(2021, 5, 17)
    first = min(dt.date.fromisoformat(r[1]) for r in rows)
    if method == "bits" and grain in ("day", "week"):
        # bits counts at most 62 boundaries: a shorter span of the same shop
        first = as_of - dt.timedelta(days=50 if grain == "day" else 7 * 50)
        rows = [r for r in rows if dt.date.fromisoformat(r[1]) >= first]
        first = min(dt.date.fromisoformat(r[1]) for r in rows)
    got = run_periods(
        backend,
        rows,
        grain=grain,
        window_days=window,
        first=first,
        as_of=as_of,
        method=method,
    )
    frame = pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])
    frame["order_date"] = [dt.date.fromisoformat(d) for d in frame.order_date]
    want = retention_oracle(frame, grain, window, as_of).set_index("period")
    assert got.index.tolist() == want.index.tolist()
    for column in (
        "partial",
        "customers_start",
        "customers_end",
        "new_customers",
        "retained",
        "reactivated",
        "lost",
        "buyers",
        "orders",
    ):
        assert got[column].tolist() == want[column].tolist(), column
    assert np.allclose(got.revenue, want.revenue)
    with np.errstate(invalid="ignore", divide="ignore"):
        crr = (want.customers_end - want.new_customers) / want.customers_start.replace(0, np.nan)
        repeat = want.repeat_buyers / want.buyers.replace(0, np.nan)
    assert np.allclose(got.crr.astype(float), crr, equal_nan=True)
    assert (want.repeat_buyers > 0).any()
    assert np.allclose(got.repeat_rate.astype(float), repeat, equal_nan=True)


@pytest.mark.parametrize("zone_name", ["Europe/Berlin", "America/New_York", "Australia/Sydney"])
def test_local_days_follow_the_zone_through_dst(backend, zone_name):
    from zoneinfo import ZoneInfo

    rng = np.random.default_rng(3)
    start = dt.datetime(2019, 1, 1)
    instants = [start + dt.timedelta(seconds=int(s)) for s in rng.integers(0, 3 * 365 * 86400, 400)]
    # the hours around the switches, where a naive offset goes wrong
    instants += [
        dt.datetime(2021, 3, 28, 0, 59),
        dt.datetime(2021, 3, 28, 1, 1),
        dt.datetime(2021, 10, 31, 0, 59),
        dt.datetime(2021, 10, 31, 1, 1),
        dt.datetime(2021, 3, 14, 4, 59),
        dt.datetime(2021, 3, 14, 5, 1),
        dt.datetime(2021, 4, 3, 12, 59),
        dt.datetime(2021, 4, 3, 13, 1),
    ]
    # a fraction of a second before local midnight stays on its day (an epoch with the
    # fraction, cast to an integer, rounds up into the next one)
    tz = ZoneInfo(zone_name)
    for day in (dt.datetime(2021, 1, 15), dt.datetime(2021, 7, 15)):
        midnight = day.replace(tzinfo=tz).astimezone(dt.UTC).replace(tzinfo=None)
        instants += [midnight - dt.timedelta(milliseconds=400), midnight]
    orders = pa.table(
        {
            "customer_id": ["a"] * len(instants),
            "order_id": [str(i) for i in range(len(instants))],
            "ordered_at": pa.array(instants, pa.timestamp("us")),
            "amount": [1.0] * len(instants),
        }
    )
    table = backend.create_table("orders", orders, overwrite=True)
    span = (min(instants), max(instants))
    got = purchases(table, timezone=zone_name, span=span).order_by("order_id")
    got = got.to_pyarrow().to_pandas()
    want = {str(i): t.replace(tzinfo=dt.UTC).astimezone(tz).date() for i, t in enumerate(instants)}
    assert len(got) == len(instants)
    for row in got.itertuples():
        assert pd.Timestamp(row.order_date).date() == want[row.order_id], row.ordered_at


def test_unknown_zone_is_a_user_error(backend):
    table = backend.create_table("orders", orders_table([("a", "2020-01-01", 1.0)]), overwrite=True)
    with pytest.raises(UserError, match="unknown time zone"):
        purchases(table, timezone="Mars/Olympus", span=(dt.datetime(2020, 1, 1),) * 2)
