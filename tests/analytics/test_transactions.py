"""Purchase occasions for the models: like the report's purchases, but free orders count.
The same expressions on DuckDB, SQLite and PostgreSQL against hand-computed rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from holdfast.analytics.orders import purchases
from holdfast.analytics.summary import customer_summary
from holdfast.analytics.transactions import transactions
from holdfast.errors import UserError

pytestmark = pytest.mark.filterwarnings(
    "ignore:The 'future.infer_string' option is deprecated:pandas.errors.Pandas4Warning"
)

ROWS = [
    # order, customer, ordered_at (naive UTC), amount, refunded, status
    ("o1", "a", dt.datetime(2024, 3, 1, 10), 10.0, 0.0, "completed"),
    ("o2", "a", dt.datetime(2024, 3, 1, 23, 30), 0.0, 0.0, "completed"),  # free: kept
    ("o3", "b", dt.datetime(2024, 3, 2, 9), 20.0, 20.0, "completed"),  # refunded in full
    ("o4", "b", dt.datetime(2024, 3, 3, 9), 30.0, 5.0, "completed"),  # partly: 25 kept
    ("o5", "c", dt.datetime(2024, 3, 4, 9), 40.0, 0.0, "cancelled"),
    ("o6", "c", dt.datetime(2024, 3, 5, 9), 0.0, None, None),  # no status: completed
]


def _orders(con):
    table = pa.table(
        {
            "order_id": [r[0] for r in ROWS],
            "customer_id": [r[1] for r in ROWS],
            "ordered_at": pa.array([r[2] for r in ROWS], pa.timestamp("us")),
            "amount": [r[3] for r in ROWS],
            "refunded": [r[4] for r in ROWS],
            "status": [r[5] for r in ROWS],
        }
    )
    return con.create_table("orders", table, overwrite=True)


def _rows(expr) -> pd.DataFrame:
    frame = expr.to_pyarrow().to_pandas().sort_values("order_id").reset_index(drop=True)
    frame["order_date"] = [pd.Timestamp(d).date() for d in frame["order_date"]]
    return frame


def test_free_orders_are_occasions_cancelled_and_refunded_are_not(backend):
    orders = _orders(backend)
    got = _rows(transactions(orders))
    assert got["order_id"].tolist() == ["o1", "o2", "o4", "o6"]
    assert got["amount"].tolist() == [10.0, 0.0, 25.0, 0.0]
    assert got["order_date"].tolist() == [
        dt.date(2024, 3, 1),
        dt.date(2024, 3, 1),
        dt.date(2024, 3, 3),
        dt.date(2024, 3, 5),
    ]
    assert list(got.columns) == [
        "customer_id",
        "order_id",
        "ordered_at",
        "order_day",
        "order_date",
        "amount",
    ]
    # the report's purchases are the same rows without the free ones
    paid = _rows(purchases(orders))
    assert paid["order_id"].tolist() == ["o1", "o4"]


def test_days_are_taken_in_the_business_zone(backend):
    orders = _orders(backend)
    span = (min(r[2] for r in ROWS), max(r[2] for r in ROWS))
    got = _rows(transactions(orders, timezone="Europe/Berlin", span=span))
    # 23:30 UTC on 1 March is 00:30 on 2 March in Berlin
    assert got.set_index("order_id").loc["o2", "order_date"] == dt.date(2024, 3, 2)
    assert got.set_index("order_id").loc["o1", "order_date"] == dt.date(2024, 3, 1)


def test_missing_columns_are_named(backend):
    orders = _orders(backend).drop("amount")
    with pytest.raises(UserError, match="the orders have no amount column"):
        transactions(orders)


def test_cdnow_customers_with_only_a_free_purchase_are_counted(backend, shared_data: Path):
    # 8 of the sample's 2,357 customers bought once, for $0.00; the published summary counts them
    raw = pd.read_csv(
        shared_data / "cdnow" / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master", "customer_id", "date", "cds", "amount"],
        dtype={"master": str, "customer_id": str},
    )
    table = pa.table(
        {
            "order_id": [f"o{i}" for i in range(len(raw))],
            "customer_id": raw["customer_id"],
            "ordered_at": pa.array(pd.to_datetime(raw["date"].astype(str)), pa.timestamp("us")),
            "amount": raw["amount"].astype(float),
        }
    )
    orders = backend.create_table("cdnow", table, overwrite=True)
    kept = customer_summary(transactions(orders), as_of="1997-09-30").count().to_pyarrow()
    paid = customer_summary(purchases(orders), as_of="1997-09-30").count().to_pyarrow()
    assert (kept.as_py(), paid.as_py()) == (2357, 2349)
