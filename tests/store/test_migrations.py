"""The migrations build exactly the schema the SQLAlchemy models describe, on both databases."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from holdfast.errors import StoreError, UserError
from holdfast.store import models_registry  # noqa: F401
from holdfast.store.base import Base
from holdfast.store.engine import connect_or_explain, create_store_engine, normalize_url
from holdfast.store.migrate import current_revision, head_revision, upgrade


def _assert_no_drift(url: str) -> None:
    engine = create_store_engine(url)
    try:
        with engine.connect() as conn:
            diffs = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
        assert diffs == []
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_sqlite_upgrade_is_complete_and_idempotent(sqlite_url: str) -> None:
    upgrade(sqlite_url)
    upgrade(sqlite_url)
    _assert_no_drift(sqlite_url)
    engine = create_store_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


@pytest.mark.postgres
def test_postgres_upgrade_is_complete_and_idempotent(pg_scratch_url: str) -> None:
    upgrade(pg_scratch_url)
    upgrade(pg_scratch_url)
    _assert_no_drift(pg_scratch_url)


def test_constraints_guard_money_and_status(sqlite_url: str) -> None:
    upgrade(sqlite_url)
    engine = create_store_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO customers (external_id) VALUES ('c1')"))
    bad_rows = [
        "(  'o1', 1, '2024-01-01', -5, 0, 'completed')",
        "(  'o2', 1, '2024-01-01', 5, 6, 'completed')",
        "(  'o3', 1, '2024-01-01', 5, 0, 'lost')",
        "(  'o4', 99, '2024-01-01', 5, 0, 'completed')",
    ]
    for row in bad_rows:
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO orders (external_id, customer_id, ordered_at, amount_minor,"
                    f" refunded_minor, status) VALUES {row}"
                )
            )
    engine.dispose()


def test_urls_are_checked() -> None:
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    with pytest.raises(UserError, match="unsupported store"):
        normalize_url("mysql://u@h/db")
    with pytest.raises(UserError, match="not a database URL"):
        normalize_url("not a url")


def test_unreachable_store_is_explained() -> None:
    engine = create_store_engine("postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(StoreError, match="cannot open the store"), connect_or_explain(engine):
        pass
