"""Preparing a source for the analytics: the span, the as-of date, and the errors for data
with nothing to analyse, in UTC and in a zone with daylight saving time."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from holdfast.errors import UserError
from holdfast.services.ingest import ImportRequest
from holdfast.services.metrics import ReportOptions, period_metrics, prepare
from holdfast.services.sources import open_file

ZONES = ["UTC", "Europe/Berlin"]


def orders_file(tmp_path: Path, statuses: list[str], hours: list[int]) -> Path:
    n = len(statuses)
    table = pa.table(
        {
            "order_id": [f"o{i}" for i in range(n)],
            "customer_id": [f"c{i % 2}" for i in range(n)],
            "ordered_at": pa.array(
                [dt.datetime(2024, 3, 30, tzinfo=dt.UTC) + dt.timedelta(hours=h) for h in hours],
                pa.timestamp("us", "UTC"),
            ),
            "amount": pa.array([Decimal("10.00")] * n, pa.decimal128(18, 2)),
            "refunded": pa.array([Decimal(0)] * n, pa.decimal128(18, 2)),
            "status": pa.array(statuses, pa.string()),
        }
    )
    path = tmp_path / "orders.parquet"
    pq.write_table(table, path)
    return path


@pytest.mark.parametrize("zone", ZONES)
def test_the_span_and_as_of_follow_the_zone(tmp_path: Path, zone: str):
    path = orders_file(tmp_path, ["completed", "completed", "cancelled"], [1, 47, 80])
    source = open_file(ImportRequest("orders", path))
    try:
        data = prepare(source, ReportOptions(timezone=zone))
        table = period_metrics(
            source, ReportOptions(period="day", active_window_days=1, timezone=zone)
        )
    finally:
        source.close()
    assert data.first == dt.date(2024, 3, 30)
    # 23:00 UTC on 31 March is 1 April in Berlin (summer time from that morning)
    assert data.last == (dt.date(2024, 3, 31) if zone == "UTC" else dt.date(2024, 4, 1))
    assert data.as_of == data.last
    assert int(table.orders.sum()) == 2


@pytest.mark.parametrize("zone", ZONES)
def test_a_file_without_orders_is_a_user_error(tmp_path: Path, zone: str):
    source = open_file(ImportRequest("orders", orders_file(tmp_path, [], [])))
    try:
        with pytest.raises(UserError, match="there are no orders to analyse"):
            prepare(source, ReportOptions(timezone=zone))
    finally:
        source.close()


@pytest.mark.parametrize("zone", ZONES)
def test_only_cancelled_orders_is_a_user_error(tmp_path: Path, zone: str):
    path = orders_file(tmp_path, ["cancelled", "cancelled"], [1, 2])
    source = open_file(ImportRequest("orders", path))
    try:
        with pytest.raises(UserError, match="no completed purchases"):
            prepare(source, ReportOptions(timezone=zone))
    finally:
        source.close()
