"""Two imports of the same orders at once on PostgreSQL: the merge's table lock makes the second
wait and then find every row unchanged. Without the lock (the negative control) the second
one's insert collides with the first's rows and fails."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pyarrow as pa
import pytest
import sqlalchemy as sa

from holdfast.store import bulk
from holdfast.store.engine import create_store_engine

pytestmark = pytest.mark.postgres

STAGE = "hf_import_stage"
PLAN = bulk.Upsert(
    "orders",
    ("external_id",),
    {
        "external_id": "s.order_id",
        "customer_id": "c.id",
        "ordered_at": "s.ordered_at",
        "amount_minor": "s.amount",
    },
    f"{STAGE} s JOIN customers c ON c.external_id = s.customer_id",
    STAGE,
)


def _orders(n: int) -> pa.Table:
    return pa.table(
        {
            "order_id": [f"o{i}" for i in range(n)],
            "customer_id": ["c1"] * n,
            "ordered_at": pa.array([i * 1_000_000 for i in range(n)], pa.timestamp("us")),
            "amount": pa.array([100 + i for i in range(n)], pa.int64()),
        }
    )


def _merge(conn: sa.Connection, table: pa.Table) -> bulk.Counts:
    conn.begin()
    bulk.stage(conn, STAGE, table)
    return bulk.upsert(conn, PLAN)


def _wait_until_blocked(engine: sa.Engine, done: Callable[[], bool]) -> None:
    """Until another session waits on a lock (never a fixed sleep: the order is observed)."""
    with engine.connect() as probe:
        while not done():
            waiting = probe.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).scalar_one()
            probe.rollback()
            if waiting:
                return
            time.sleep(0.01)


def _race(url: str) -> tuple[bulk.Counts, object]:
    engine = create_store_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO customers (external_id) VALUES ('c1')")
        table = _orders(50)
        first = engine.connect()
        assert _merge(first, table) == bulk.Counts(50, 0, 0)
        outcome: dict[str, object] = {}

        def second() -> None:
            with engine.connect() as conn:
                try:
                    outcome["counts"] = _merge(conn, table)
                    conn.commit()
                except sa.exc.DBAPIError as error:
                    conn.rollback()
                    outcome["error"] = error

        thread = threading.Thread(target=second)
        thread.start()
        _wait_until_blocked(engine, lambda: not thread.is_alive())
        first.commit()
        first.close()
        thread.join()
        with engine.connect() as conn:
            stored = conn.exec_driver_sql("SELECT count(*) FROM orders").scalar_one()
        assert stored == 50
        return outcome.get("counts"), outcome.get("error")
    finally:
        engine.dispose()


def test_the_second_import_waits_and_changes_nothing(store_url: str) -> None:
    if store_url.startswith("sqlite"):
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE")
    counts, error = _race(store_url)
    assert error is None
    assert counts == bulk.Counts(0, 0, 50)


def test_without_the_lock_the_second_import_collides(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if store_url.startswith("sqlite"):
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE")
    monkeypatch.setattr(bulk, "lock_for_merge", lambda conn, table: None)
    counts, error = _race(store_url)
    assert counts is None
    assert isinstance(error, sa.exc.IntegrityError)
