"""The report shares intermediate tables between its sections (one grouping per customer, one
pass over the purchases in day order); its numbers are those of the standalone analytics."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from holdfast.analytics.concentration import lorenz_curve, top_revenue_share
from holdfast.analytics.customers import headline
from holdfast.analytics.intervals import days_between_orders, interval_quartiles
from holdfast.analytics.tenure import tenure_spend
from holdfast.services.ingest import ImportRequest
from holdfast.services.metrics import ReportOptions, frame_of, prepare, row_of
from holdfast.services.reports import build_report
from holdfast.services.sources import open_file

pytestmark = pytest.mark.filterwarnings(
    "ignore:The 'future.infer_string' option is deprecated:pandas.errors.Pandas4Warning"
)


@pytest.fixture
def orders_parquet(tmp_path: Path) -> Path:
    """Two years of a random shop: same-day orders, repeated amounts (tied spend), a cancelled
    order and one refunded in full."""
    rng = np.random.default_rng(11)
    start = dt.datetime(2021, 1, 3, 8, 0)
    rows = []
    for c in range(300):
        day = int(rng.integers(0, 600))
        while day < 730:
            at = start + dt.timedelta(days=day, minutes=int(rng.integers(0, 720)))
            rows.append((f"c{c:03d}", at, float(rng.choice([4.5, 12.0, 19.99, 60.0]))))
            if rng.random() < 0.1:
                rows.append((f"c{c:03d}", at + dt.timedelta(hours=2), 3.0))
            day += int(rng.geometric(1 / 35)) + int(rng.random() < 0.1) * 300
    n = len(rows)
    status = ["completed"] * n
    status[5] = "cancelled"
    refunded = [0.0] * n
    refunded[7] = rows[7][2]
    table = pa.table(
        {
            "order_id": [f"o{i}" for i in range(n)],
            "customer_id": [r[0] for r in rows],
            "ordered_at": pa.array([r[1] for r in rows], pa.timestamp("us")),
            "amount": [r[2] for r in rows],
            "refunded": refunded,
            "status": status,
        }
    )
    path = tmp_path / "orders.parquet"
    pq.write_table(table, path)
    return path


@pytest.mark.parametrize(("period", "as_of"), [("month", None), ("week", dt.date(2022, 9, 30))])
def test_report_numbers_are_the_standalone_analytics(orders_parquet, period, as_of):
    options = ReportOptions(period=period, active_window_days=365, as_of=as_of)
    source = open_file(ImportRequest("orders", orders_parquet))
    try:
        report = build_report(source, options, forecast=False)
        data = prepare(source, options)
        upto = data.purchases.filter(data.purchases.order_date <= data.as_of)
        scope = {"grain": period, "first": data.first, "as_of": data.as_of}
        want = row_of(headline(upto))
        quartiles = row_of(interval_quartiles(upto))
        top = row_of(top_revenue_share(upto, share=0.2))["top_revenue_share"]
        lorenz = frame_of(lorenz_curve(upto))
        tenure = frame_of(tenure_spend(upto, **scope))
        gaps = frame_of(days_between_orders(upto))
    finally:
        source.close()
    got = report.summary
    for name in ("customers", "orders"):
        assert got[name] == want[name]
    for name in ("revenue", "lifetime_repeat_rate", "mean_historical_clv", "median_historical_clv"):
        assert got[name] == pytest.approx(want[name], rel=1e-12)
    assert got["days_between_orders_q1"] == quartiles["q1"]
    assert got["median_days_between_orders"] == quartiles["median"]
    assert got["days_between_orders_q3"] == quartiles["q3"]
    assert got["top20_revenue_share"] == pytest.approx(top, rel=1e-12)
    assert report.concentration.customer_share.tolist() == lorenz.customer_share.tolist()
    assert np.allclose(report.concentration.revenue_share, lorenz.revenue_share, rtol=1e-12)
    for name in ("tenure_band", "band_order", "customers", "customer_periods", "orders"):
        assert report.tenure[name].tolist() == tenure[name].tolist()
    assert np.allclose(report.tenure.revenue, tenure.revenue, rtol=1e-12)
    assert report.days_between_orders["count"].tolist() == gaps["count"].tolist()
    assert (report.tenure.customers[1:] > 0).sum() >= 3
    assert sum(gaps["count"]) > 500
