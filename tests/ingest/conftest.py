"""Stores for the import tests: the same test bodies run on a SQLite file and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from holdfast.services.database import upgrade_store
from pg_helpers import scratch_database

DATA_TABLES = (
    "order_lines",
    "survey_responses",
    "subscriptions",
    "orders",
    "customers",
    "import_runs",
    "store_settings",
)


@pytest.fixture(scope="session")
def pg_store(pg_server_url: str) -> Iterator[str]:
    """A PostgreSQL database of our own (the import tests empty its tables between tests, so
    they must not share the session database with other tests), migrated once."""
    with scratch_database(pg_server_url, "hf_ingest") as url:
        upgrade_store(url)
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty store: a new SQLite file (not yet migrated), or the PostgreSQL test database
    with every table emptied."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    url = request.getfixturevalue("pg_store")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE")
    engine.dispose()
    yield url
