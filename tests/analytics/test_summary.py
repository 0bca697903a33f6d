"""Customer summaries in the database: the published CDNOW summary on DuckDB, SQLite and
PostgreSQL, from the raw transactions, plus small hand-made cases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from holdfast.analytics.summary import customer_summary, repeat_purchase_timeline
from holdfast.errors import UserError

# ibis 12 asks pandas 3 for a deprecated option when SQLite/DuckDB results pass through pandas.
pytestmark = pytest.mark.filterwarnings(
    "ignore:The 'future.infer_string' option is deprecated:pandas.errors.Pandas4Warning"
)


@pytest.fixture(scope="module")
def raw(shared_data: Path) -> pd.DataFrame:
    data = pd.read_csv(
        shared_data / "cdnow" / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["customer", "sample_id", "date", "cds", "amount"],
    )
    data["date"] = pd.to_datetime(data["date"].astype(str), format="%Y%m%d")
    return data


def _purchases_arrow(raw: pd.DataFrame) -> pa.Table:
    """The canonical purchases relation (docs/data-model.md) built from the CDNOW sample."""
    return pa.table(
        {
            "customer_id": raw["sample_id"].astype(str),
            "order_id": [f"o{i}" for i in range(len(raw))],
            "ordered_at": pa.array(raw["date"], pa.timestamp("us", tz="UTC")),
            "order_date": pa.array(raw["date"].dt.date, pa.date32()),
            "amount": raw["amount"].astype(float),
        }
    )


@pytest.fixture
def con(backend):
    return backend


def _run(expr) -> pd.DataFrame:
    return expr.to_pyarrow().to_pandas()


def test_published_cdnow_summary(con, raw, shared_data):
    purchases = con.create_table("purchases", _purchases_arrow(raw), overwrite=True)
    summary = _run(
        customer_summary(
            purchases, as_of="1998-06-30", time_unit_days=7, calibration_end="1997-09-30"
        )
    )
    summary["ID"] = summary["customer_id"].astype(int)
    summary = summary.sort_values("ID").reset_index(drop=True)
    published = pd.read_csv(shared_data / "cdnow" / "cdnow_customers_summary_with_transactions.csv")
    assert summary["ID"].tolist() == published["ID"].tolist()
    assert summary["frequency"].tolist() == published["x"].tolist()
    # the README: t_x and T equal to 0.01 (the file rounds them); zbar is rounded to cents
    np.testing.assert_allclose(summary["recency"], published["t_x"], atol=0.005 + 1e-9)
    np.testing.assert_allclose(summary["T"], published["T"], atol=0.005 + 1e-9)
    np.testing.assert_allclose(summary["monetary_value"], published["zbar"], atol=0.005 + 1e-9)
    assert list(summary.columns[:8]) == [
        "customer_id",
        "frequency",
        "recency",
        "T",
        "monetary_value",
        "frequency_holdout",
        "monetary_value_holdout",
        "duration_holdout",
    ]
    assert (summary["duration_holdout"] == 39.0).all()
    # holdout against pandas: purchase days in (1997-09-30, 1998-06-30], same day merged
    days = raw.groupby(["sample_id", "date"], as_index=False)["amount"].sum()
    hold = days[(days["date"] > "1997-09-30") & (days["date"] <= "1998-06-30")]
    by_id = hold.groupby("sample_id")["amount"].agg(["size", "mean"])
    expected = by_id.reindex(summary["ID"]).fillna(0.0)
    assert summary["frequency_holdout"].tolist() == expected["size"].astype(int).tolist()
    np.testing.assert_allclose(summary["monetary_value_holdout"], expected["mean"], rtol=1e-12)


def test_timeline_counts_repeat_purchase_days(con, raw):
    purchases = con.create_table("purchases", _purchases_arrow(raw), overwrite=True)
    timeline = _run(
        repeat_purchase_timeline(purchases, calibration_end="1997-09-30", holdout_end="1998-06-30")
    )
    days = raw.groupby(["sample_id", "date"], as_index=False)["amount"].sum()
    first = days.groupby("sample_id")["date"].transform("min")
    repeat = days[days["date"] > first]
    assert timeline["repeat_purchases"].sum() == len(repeat)
    inside = timeline["t"] <= 0
    assert timeline.loc[inside, "repeat_purchases"].sum() == (repeat["date"] <= "1997-09-30").sum()
    assert timeline["t"].is_monotonic_increasing and timeline["t"].max() <= 39.0


def _tiny(con):
    rows = [
        ("a", dt.date(2024, 1, 1), 10.0),
        ("a", dt.date(2024, 1, 1), 5.0),  # same day: merged into one purchase of 15
        ("a", dt.date(2024, 1, 8), 20.0),
        ("a", dt.date(2024, 1, 15), 40.0),
        ("b", dt.date(2024, 1, 10), 7.0),
        ("c", dt.date(2024, 2, 1), 3.0),  # after as_of: not yet a customer
    ]
    table = pa.table(
        {
            "customer_id": [r[0] for r in rows],
            "order_date": pa.array([r[1] for r in rows], pa.date32()),
            "amount": [r[2] for r in rows],
        }
    )
    return con.create_table("tiny", table, overwrite=True)


def test_summary_without_split_in_days(con):
    summary = _run(customer_summary(_tiny(con), as_of=dt.date(2024, 1, 20), time_unit_days="D"))
    summary = summary.set_index("customer_id").sort_index()
    assert summary.index.tolist() == ["a", "b"]
    assert summary.loc["a", ["frequency", "recency", "T"]].tolist() == [2, 14.0, 19.0]
    assert summary.loc["a", "monetary_value"] == 30.0  # mean of the repeat days 20 and 40
    assert summary.loc["b"].tolist() == [0, 0.0, 10.0, 0.0]
    assert "frequency_holdout" not in summary.columns


def test_orders_on_one_day_are_one_purchase_on_any_day(con):
    rows = [("d", dt.date(2024, 1, 2), 4.0), ("d", dt.date(2024, 1, 5), 6.0)]
    rows += [("d", dt.date(2024, 1, 5), 8.0), ("e", dt.date(2024, 1, 3), 1.0)]
    rows += [("e", dt.date(2024, 1, 3), 2.0), ("e", dt.date(2024, 1, 3), 3.0)]
    table = pa.table(
        {
            "customer_id": [r[0] for r in rows],
            "order_date": pa.array([r[1] for r in rows], pa.date32()),
            "amount": [r[2] for r in rows],
        }
    )
    orders = con.create_table("same_day", table, overwrite=True)
    summary = _run(customer_summary(orders, as_of=dt.date(2024, 1, 9), time_unit_days="D"))
    summary = summary.set_index("customer_id").sort_index()
    assert summary.loc["d"].tolist() == [1, 3.0, 7.0, 14.0]  # the repeat day: 6 + 8
    assert summary.loc["e"].tolist() == [0, 0.0, 6.0, 0.0]


def test_monthly_unit_and_holdout_defaults_to_as_of(con):
    summary = _run(
        customer_summary(
            _tiny(con), as_of="2024-02-29", time_unit_days="M", calibration_end="2024-01-09"
        )
    ).set_index("customer_id")
    month = 365.25 / 12
    assert summary.loc["a", "T"] == pytest.approx(8 / month)
    assert summary.loc["a", "frequency_holdout"] == 1
    assert summary.loc["a", "monetary_value_holdout"] == 40.0
    assert summary.loc["a", "duration_holdout"] == pytest.approx(51 / month)
    assert "b" not in summary.index  # first purchase after the calibration end


def test_refusals():
    table = ibis.table({"customer_id": "string", "order_date": "date", "amount": "float64"})
    with pytest.raises(UserError, match="unknown time unit"):
        customer_summary(table, as_of="2024-01-01", time_unit_days="Y")
    with pytest.raises(UserError, match="positive number of days"):
        customer_summary(table, as_of="2024-01-01", time_unit_days=0)
    with pytest.raises(UserError, match="must be a date"):
        customer_summary(table, as_of="yesterday")
    with pytest.raises(UserError, match="must be before holdout_end"):
        customer_summary(table, as_of="2024-01-01", calibration_end="2024-01-01")
    with pytest.raises(UserError, match="cannot be after as_of"):
        customer_summary(
            table, as_of="2024-01-01", calibration_end="2023-06-01", holdout_end="2024-02-01"
        )
    with pytest.raises(UserError, match="needs calibration_end"):
        customer_summary(table, as_of="2024-01-01", holdout_end="2023-06-01")
