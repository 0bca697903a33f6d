"""The scoring copy of the store (DuckDB over rows read through ADBC) gives the same orders and
order lines as the store itself, keeps its types when a table is empty, and names the store
ids of customers."""

from __future__ import annotations

from pathlib import Path

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa
import pytest

from holdfast.errors import StoreError
from holdfast.services.database import upgrade_store
from holdfast.services.ingest import ImportRequest, import_file
from holdfast.services.segments.lines import store_order_lines
from holdfast.services.sources import open_store
from holdfast.services.store_copy import READS, copy_store, store_ids
from holdfast.store.snapshot import read_tables

pytestmark = pytest.mark.filterwarnings(
    "ignore:The 'future.infer_string' option is deprecated:pandas.errors.Pandas4Warning"
)


def _orders_and_lines(tmp_path: Path, url: str) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order,customer,date,amount,status\n"
        "1,a,2024-01-02 10:30:00,10.25,completed\n"
        "2,b,2024-01-03 23:59:59,3,completed\n"
        "3,a,2024-02-01 00:00:01,7,cancelled\n"
    )
    import_file(ImportRequest("orders", orders), url)
    lines = tmp_path / "lines.csv"
    lines.write_text("order_id,product_id,amount\n1,tea,5.25\n1,cup,5\n2,tea,3\n3,cup,7\n")
    import_file(ImportRequest("order-lines", lines), url)


def _sorted(table: ir.Table) -> list[dict]:
    return sorted(table.to_pyarrow().to_pylist(), key=lambda r: tuple(map(str, r.values())))


def test_the_copy_reads_what_the_store_reads(tmp_path: Path, store_url: str):
    _orders_and_lines(tmp_path, store_url)
    store, copy = open_store(store_url), copy_store(store_url)
    try:
        assert copy.backend.name == "duckdb" and copy.currency == store.currency == "USD"
        assert _sorted(copy.orders) == _sorted(store.orders)
        lines = [store_order_lines(s.backend) for s in (store, copy)]
        # the cancelled order's line is left out on both
        assert _sorted(lines[1]) == _sorted(lines[0]) and len(_sorted(lines[1])) == 3
        ids = store_ids(copy, pd.Series(["b", "a"]))
        people = store.backend.table("customers").to_pyarrow().to_pylist()
        known = {p["external_id"]: p["id"] for p in people}
        assert ids.tolist() == [known["b"], known["a"]]
        with pytest.raises(StoreError, match="1 scored"):
            store_ids(copy, pd.Series(["nobody"]))
    finally:
        store.close()
        copy.close()


def test_empty_tables_keep_their_types(store_url: str):
    upgrade_store(store_url)
    tables = read_tables(store_url, READS)
    assert all(tables[name].num_rows == 0 for name in ("customers", "orders", "order_lines"))
    assert tables["orders"].schema == READS["orders"].schema
    assert tables["orders"].schema.field("ordered_at").type == pa.timestamp("us")
    con = ibis.duckdb.connect()
    try:
        con.create_table("order_lines", tables["order_lines"])
        assert con.table("order_lines").count().execute() == 0
    finally:
        con.disconnect()
