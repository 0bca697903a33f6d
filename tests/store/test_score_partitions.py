"""Migration 0005 and the per-run partitions of customer_scores, on real databases."""

from __future__ import annotations

import datetime as dt
import threading
import time

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from holdfast.services.segments import write
from holdfast.store import models_registry  # noqa: F401
from holdfast.store.base import Base
from holdfast.store.engine import create_store_engine
from holdfast.store.migrate import alembic_config, upgrade
from holdfast.store.score_tables import is_score_partition

STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
BEFORE = "0004_scores"
VALUES = (
    "recency_days, orders, spend_minor, r_score, f_score, m_score, segment, stage, p_alive, "
    "expected_purchases, predicted_value_minor, expected_next_order, vip, recommendations"
)


@pytest.fixture(params=STORES)
def url(request: pytest.FixtureRequest) -> str:
    """An empty store: a SQLite file, or a scratch PostgreSQL database."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_scratch_url"
    return request.getfixturevalue(name)


@pytest.fixture
def pg_url(pg_scratch_url: str) -> str:
    """A PostgreSQL store at the newest schema, with three customers."""
    upgrade(pg_scratch_url)
    _add_customers(pg_scratch_url, 3)
    return pg_scratch_url


def _add_customers(url: str, count: int) -> None:
    engine = create_store_engine(url)
    with engine.begin() as conn:
        for i in range(count):
            conn.execute(sa.text("INSERT INTO customers (external_id) VALUES (:e)"), {"e": f"c{i}"})
    engine.dispose()


def _add_run(conn: sa.Connection, as_of: str, customers: list[int]) -> int:
    """A run with one score row per customer, written with plain SQL (any revision)."""
    run_id = conn.execute(
        sa.text(
            "INSERT INTO score_runs (as_of, parameters, settings, customers) "
            "VALUES (:as_of, '{}', '{}', :n) RETURNING id"
        ),
        {"as_of": dt.date.fromisoformat(as_of), "n": len(customers)},
    ).scalar_one()
    for c in customers:
        conn.execute(
            sa.text(
                f"INSERT INTO customer_scores (run_id, customer_id, {VALUES}) VALUES (:r, :c, "
                ":c + 3, :c, 1000 * :c, 1, 2, 3, 'Loyal', 'active', 0.25 * :c, 1.5, NULL, "
                ":day, :vip, :recs)"
            ),
            {
                "r": run_id,
                "c": c,
                "day": dt.date(2024, 5, c),
                "vip": c % 2 == 0,
                "recs": None if c == 1 else '["tea"]',
            },
        )
    return run_id


def _scores(url: str) -> list[tuple]:
    engine = create_store_engine(url)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            f"SELECT run_id, customer_id, {VALUES} FROM customer_scores ORDER BY 1, 2"
        ).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def _partitions(url: str) -> dict[str, int]:
    """Rows per table holding customer_scores rows (PostgreSQL: per partition)."""
    engine = create_store_engine(url)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT tableoid::regclass::text, count(*) FROM customer_scores GROUP BY 1"
        ).all()
    engine.dispose()
    return dict(rows)


def _drift(url: str) -> list:
    engine = create_store_engine(url)
    opts = {
        "compare_type": True,
        "include_name": lambda name, kind, _: not (kind == "table" and is_score_partition(name)),
    }
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)
    engine.dispose()
    return diffs


def _key(url: str) -> tuple[list[str], list[str]]:
    """The primary key and the columns of customer_scores as the database has them (Alembic's
    comparison does not look at primary keys)."""
    engine = create_store_engine(url)
    inspector = sa.inspect(engine)
    key = inspector.get_pk_constraint("customer_scores")["constrained_columns"]
    columns = [c["name"] for c in inspector.get_columns("customer_scores")]
    engine.dispose()
    return key, columns


def test_upgrade_to_0005_keeps_every_score_and_downgrade_too(url: str) -> None:
    upgrade(url, BEFORE)
    _add_customers(url, 4)
    engine = create_store_engine(url)
    with engine.begin() as conn:
        first = _add_run(conn, "2024-03-31", [1, 2, 3, 4])
        second = _add_run(conn, "2024-06-30", [2, 4])
    engine.dispose()
    before = _scores(url)
    assert len(before) == 6
    upgrade(url)
    assert _scores(url) == before
    assert _drift(url) == []
    key, columns = _key(url)
    assert key == ["run_id", "customer_id"] and "id" not in columns
    if url.startswith("postgresql"):
        assert _partitions(url) == {
            write.partition_name(first): 4,
            write.partition_name(second): 2,
        }
    command.downgrade(alembic_config(url), BEFORE)
    assert _scores(url) == before
    assert _key(url)[0] == ["id"]
    upgrade(url)
    assert _scores(url) == before


def _frame(rows: int) -> pd.DataFrame:
    """A valid score frame of ``rows`` customers."""
    return pd.DataFrame(
        {
            "recency_days": np.arange(rows),
            "orders": np.ones(rows, dtype=int),
            "spend": np.full(rows, 12.5),
            "r_score": np.ones(rows, dtype=int),
            "f_score": np.ones(rows, dtype=int),
            "m_score": np.ones(rows, dtype=int),
            "segment": ["Lost"] * rows,
            "stage": ["churned"] * rows,
            "p_alive": np.full(rows, 0.125),
            "expected_purchases": np.full(rows, np.nan),
            "predicted_value": np.full(rows, 3.0),
            "expected_next_order": [pd.NaT] * rows,
            "vip": np.zeros(rows, dtype=bool),
            "recommendations": [None] * rows,
        }
    )


def _write(url: str, as_of: dt.date, customer_ids: list[int]) -> tuple[int, bool]:
    engine = create_store_engine(url)
    try:
        return write.write_run(
            engine,
            as_of=as_of,
            model=None,
            parameters={},
            settings={},
            note=None,
            scores=_frame(len(customer_ids)),
            customer_ids=np.array(customer_ids),
            scale=100,
        )
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_run_lands_in_its_own_partition_once(pg_url: str) -> None:
    first, created = _write(pg_url, dt.date(2024, 3, 31), [1, 2, 3])
    second, _ = _write(pg_url, dt.date(2024, 6, 30), [2, 3])
    assert created
    parts = {write.partition_name(first): 3, write.partition_name(second): 2}
    assert _partitions(pg_url) == parts
    before = _scores(pg_url)
    assert before[0][2:5] == (0, 1, 1250) and before[0][10:13] == (0.125, None, 300)
    assert _write(pg_url, dt.date(2024, 3, 31), [1, 2, 3]) == (first, False)
    assert _scores(pg_url) == before and _partitions(pg_url) == parts
    assert _drift(pg_url) == []


@pytest.mark.postgres
def test_the_partition_keeps_the_foreign_keys(pg_url: str) -> None:
    run_id, _ = _write(pg_url, dt.date(2024, 3, 31), [1, 2])
    engine = create_store_engine(pg_url)
    with pytest.raises(sa.exc.IntegrityError, match="customer"), engine.begin() as conn:
        conn.exec_driver_sql(
            f"INSERT INTO {write.partition_name(run_id)} (run_id, customer_id, {VALUES}) "
            f"VALUES ({run_id}, 99, 0, 1, 0, 1, 1, 1, 'Lost', 'churned', NULL, NULL, NULL, "
            "NULL, false, NULL)"
        )
    engine.dispose()
    # an unknown customer in a run: the whole run is refused, partition and all
    with pytest.raises(sa.exc.IntegrityError, match="customer"):
        _write(pg_url, dt.date(2024, 6, 30), [1, 99])
    assert _partitions(pg_url) == {write.partition_name(run_id): 2}
    engine = create_store_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DELETE FROM score_runs WHERE id = {run_id}")  # cascades
    engine.dispose()
    assert _scores(pg_url) == []


@pytest.mark.postgres
def test_a_concurrent_run_for_the_same_date_wins(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other run committed after our check: our insert of the run hits its unique date,
    and we return its id without writing anything."""
    theirs, _ = _write(pg_url, dt.date(2024, 3, 31), [1, 2, 3])
    real = write.find_run
    calls = iter([None])
    monkeypatch.setattr(write, "find_run", lambda conn, as_of: next(calls, real(conn, as_of)))
    assert _write(pg_url, dt.date(2024, 3, 31), [1, 2]) == (theirs, False)
    assert _partitions(pg_url) == {write.partition_name(theirs): 3}


def _race(url: str, dates: list[dt.date], monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Two write_runs at once, the second starting while the first is still copying."""
    copy = write.bulk.copy_into

    def slow_copy(conn: sa.Connection, name: str, table: object) -> None:
        copy(conn, name, table)
        time.sleep(1.0)

    monkeypatch.setattr(write.bulk, "copy_into", slow_copy)
    results: list[object] = [None, None]

    def run(i: int) -> None:
        try:
            results[i] = _write(url, dates[i], [1, 2, 3])
        except sa.exc.DBAPIError as error:
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
        time.sleep(0.2)
    for thread in threads:
        thread.join()
    return results


@pytest.mark.postgres
def test_concurrent_runs_wait_for_each_other(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    day, other = dt.date(2024, 3, 31), dt.date(2024, 6, 30)
    first, second = _race(pg_url, [day, other], monkeypatch)
    assert isinstance(first, tuple) and isinstance(second, tuple) and first[1] and second[1]
    third, fourth = _race(pg_url, [dt.date(2024, 9, 30)] * 2, monkeypatch)
    assert isinstance(third, tuple) and fourth == (third[0], False)


@pytest.mark.postgres
def test_without_the_run_lock_concurrent_runs_deadlock(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The negative control: attaching takes a lock on score_runs that the other run's row
    insert conflicts with."""
    monkeypatch.setattr(write.bulk, "lock_for_merge", lambda conn, table: None)
    results = _race(pg_url, [dt.date(2024, 3, 31), dt.date(2024, 6, 30)], monkeypatch)
    assert any("deadlock" in str(r) for r in results)
