"""Data sources for analytics: export files in DuckDB (checked like an import, or canonical
Parquet scanned in place) and the store, all giving the same canonical orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from holdfast.errors import InputError, UserError
from holdfast.services.ingest import ImportRequest, import_file
from holdfast.services.sources import ibis_url, open_file, open_store, parquet_null_counts

pytestmark = pytest.mark.filterwarnings(
    "ignore:The 'future.infer_string' option is deprecated:pandas.errors.Pandas4Warning"
)


def canonical_orders(customer_ids: list[str | None]) -> pa.Table:
    n = len(customer_ids)
    return pa.table(
        {
            "order_id": [f"o{i}" for i in range(n)],
            "customer_id": pa.array(customer_ids, pa.string()),
            "ordered_at": pa.array(
                [dt.datetime(2024, 3, 31, 23, 30, tzinfo=dt.UTC)] * n, pa.timestamp("us", "UTC")
            ),
            "amount": pa.array([Decimal("12.50")] * n, pa.decimal128(18, 2)),
            "refunded": pa.array([Decimal(0)] * n, pa.decimal128(18, 2)),
            "status": ["completed"] * n,
        }
    )


def rows(source) -> list[dict]:
    return source.orders.order_by("order_id").to_pyarrow().to_pylist()


def test_canonical_parquet_is_scanned_in_place(tmp_path: Path):
    path = tmp_path / "orders.parquet"
    pq.write_table(canonical_orders(["a", "b"]), path)
    source = open_file(ImportRequest("orders", path))
    try:
        got = rows(source)
    finally:
        source.close()
    assert got[0]["ordered_at"] == dt.datetime(2024, 3, 31, 23, 30)  # naive UTC
    assert got[0]["amount"] == Decimal("12.50")  # the file's exact decimals, cast by analytics
    assert [r["customer_id"] for r in got] == ["a", "b"]


def with_currencies(codes: list[str | None]) -> pa.Table:
    table = canonical_orders([f"c{i}" for i in range(len(codes))])
    return table.append_column("currency", pa.array(codes, pa.string()))


@pytest.mark.parametrize("statistics", [True, False])
def test_a_parquet_files_currency_column_gives_the_currency(tmp_path: Path, statistics: bool):
    path = tmp_path / "orders.parquet"
    pq.write_table(with_currencies(["eur", None, "EUR"]), path, write_statistics=statistics)
    for requested in (None, "EUR"):
        source = open_file(ImportRequest("orders", path, currency=requested))
        source.close()
        assert source.currency == "EUR"


@pytest.mark.parametrize("statistics", [True, False])
def test_a_parquet_file_in_several_currencies_is_refused(tmp_path: Path, statistics: bool):
    path = tmp_path / "orders.parquet"
    codes = ["EUR", "USD", "EUR", "GBP"]
    pq.write_table(with_currencies(codes), path, write_statistics=statistics, row_group_size=2)
    with pytest.raises(InputError) as mixed:
        open_file(ImportRequest("orders", path))
    text = str(mixed.value)
    assert "orders.parquet" in text and "mixes currencies" in text
    assert "2 rows in EUR" in text and "1 row in GBP" in text and "1 row in USD" in text
    with pytest.raises(InputError) as other:
        open_file(ImportRequest("orders", path, currency="EUR"))
    text = str(other.value)
    assert "1 row in USD; the amounts are in EUR" in text and "1 row in GBP" in text
    assert "in EUR;" not in text


def test_a_parquet_file_in_another_currency_than_asked_is_refused(tmp_path: Path):
    path = tmp_path / "orders.parquet"
    pq.write_table(with_currencies(["EUR", "EUR"]), path)
    with pytest.raises(InputError, match="2 rows in EUR; the amounts are in USD"):
        open_file(ImportRequest("orders", path, currency="USD"))


def test_a_parquet_files_currency_must_be_a_currency_code(tmp_path: Path):
    path = tmp_path / "orders.parquet"
    pq.write_table(with_currencies(["US$", "US$"]), path)
    with pytest.raises(UserError, match="column currency: 'US\\$' is not an ISO 4217"):
        open_file(ImportRequest("orders", path))


@pytest.mark.parametrize("statistics", [True, False])
def test_parquet_with_empty_required_values_is_refused(tmp_path: Path, statistics: bool):
    path = tmp_path / "orders.parquet"
    pq.write_table(canonical_orders(["a", None]), path, write_statistics=statistics)
    assert ("customer_id" in parquet_null_counts(path, ("customer_id",))) == statistics
    with pytest.raises(InputError) as caught:
        open_file(ImportRequest("orders", path))
    text = str(caught.value)
    assert "orders.parquet" in text and "customer_id" in text and "1 empty" in text


def test_the_footer_tells_empty_values_without_a_scan(tmp_path: Path):
    table = canonical_orders(["a", None, None])
    required = pa.schema([f.with_nullable(f.name != "order_id") for f in table.schema])
    path = tmp_path / "orders.parquet"
    pq.write_table(table.cast(required), path, row_group_size=2)
    counts = parquet_null_counts(path, ("order_id", "customer_id", "missing"))
    assert counts == {"order_id": 0, "customer_id": 2}


def test_csv_is_checked_like_an_import(tmp_path: Path):
    path = tmp_path / "orders.csv"
    path.write_text("order,customer,date,amount\n1,a,2024-01-02,10\n1,a,2024-01-03,-4\n")
    source = open_file(ImportRequest("orders", path))
    try:
        got = rows(source)
    finally:
        source.close()
    assert len(got) == 1 and got[0]["refunded"] == pytest.approx(4.0)


def test_refund_of_an_order_outside_the_file_is_named(tmp_path: Path):
    path = tmp_path / "orders.csv"
    path.write_text("order,customer,date,amount\n1,a,2024-01-02,10\n9,a,2024-01-03,-4\n")
    with pytest.raises(InputError) as caught:
        open_file(ImportRequest("orders", path))
    assert "not in this file" in str(caught.value)


def test_store_gives_the_same_orders_as_the_file(tmp_path: Path, store_url: str):
    path = tmp_path / "orders.csv"
    path.write_text("order,customer,date,amount\n1,a,2024-01-02,10.25\n2,b,2024-01-03,3\n")
    import_file(ImportRequest("orders", path), store_url)
    from_store, from_file = open_store(store_url), open_file(ImportRequest("orders", path))
    try:
        store_rows, file_rows = rows(from_store), rows(from_file)
    finally:
        from_store.close()
        from_file.close()
    keys = ("order_id", "customer_id", "ordered_at", "amount")
    assert [{k: r[k] for k in keys} for r in store_rows] == [
        {k: r[k] for k in keys} for r in file_rows
    ]
    assert from_store.currency == "USD"


def test_urls_for_ibis():
    assert ibis_url("postgresql+psycopg://u:p@h:5432/db") == "postgres://u:p@h:5432/db"
    assert ibis_url("sqlite:///relative.db").startswith("sqlite:///")
    with pytest.raises(UserError, match="in-memory"):
        ibis_url("sqlite://")
