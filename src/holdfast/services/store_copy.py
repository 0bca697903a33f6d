"""The columns of the store that scoring reads, copied into an in-process DuckDB.

SQLite and PostgreSQL run the per-customer grouping of three million orders and the basket
self-join of seven million order lines row at a time (80 s of a 100 s scoring run at a million
customers); DuckDB runs the same Ibis expressions in a few seconds. So ``holdfast score``
reads the narrow rows once (:mod:`holdfast.store.snapshot`: customers' ids, the orders'
dates, amounts and status, the lines' order and product) and gives the analytics a
:class:`~holdfast.services.sources.DataSource` over that copy, built exactly as over the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from holdfast.errors import StoreError
from holdfast.report.data import mask_password
from holdfast.services.database import upgrade_store
from holdfast.services.sources import DataSource, store_source
from holdfast.store.snapshot import Read, read_tables

#: The store's tables as the copy holds them: only the columns scoring reads.
READS = {
    "store_settings": Read(
        "SELECT key, value FROM store_settings",
        pa.schema([("key", pa.string()), ("value", pa.string())]),
    ),
    "customers": Read(
        "SELECT id, external_id FROM customers",
        pa.schema([("id", pa.int64()), ("external_id", pa.string())]),
    ),
    "orders": Read(
        "SELECT id, external_id, customer_id, ordered_at, amount_minor, refunded_minor, status "
        "FROM orders",
        pa.schema(
            [
                ("id", pa.int64()),
                ("external_id", pa.string()),
                ("customer_id", pa.int64()),
                ("ordered_at", pa.timestamp("us")),
                ("amount_minor", pa.int64()),
                ("refunded_minor", pa.int64()),
                ("status", pa.string()),
            ]
        ),
    ),
    "order_lines": Read(
        "SELECT order_id, product_id FROM order_lines",
        pa.schema([("order_id", pa.int64()), ("product_id", pa.string())]),
    ),
}


def copy_store(url: str) -> DataSource:
    """Orders (no survey answers) of the store at ``url`` in an in-memory DuckDB that also
    holds its order lines; close it when done."""
    upgrade_store(url)
    tables = read_tables(url, READS)
    con = ibis.duckdb.connect()
    try:
        con.raw_sql("SET TimeZone = 'UTC'")
        for name, table in tables.items():
            con.create_table(name, table)
        return store_source(con, mask_password(url))
    except BaseException:
        con.disconnect()
        raise


def store_ids(source: DataSource, customer_ids: pd.Series) -> np.ndarray:
    """The store ids of the customers named by the shop's ids, from the copy's customers."""
    customers = source.backend.table("customers").to_pyarrow()
    wanted = pa.array(customer_ids.astype(str).to_numpy(), pa.string())
    at = pc.index_in(wanted, value_set=customers["external_id"])
    if at.null_count:
        raise StoreError(f"{at.null_count:,} scored customers are not in the store's copy")
    return customers["id"].take(at).to_numpy()


@contextmanager
def one_thread(con: ibis.BaseBackend) -> Iterator[None]:
    """DuckDB on one thread inside: its sums of floats then add up in one order, the same in
    every run (a parallel GROUP BY adds the threads' partial sums as they finish)."""
    con.raw_sql("SET threads = 1")
    try:
        yield
    finally:
        con.raw_sql("RESET threads")
