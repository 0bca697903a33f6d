"""Stores for the loyalty tests: the same test bodies run on a SQLite file and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from holdfast.store.migrate import upgrade
from pg_helpers import scratch_database

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "loyalty.toml"


@pytest.fixture(scope="session")
def pg_loyalty(pg_server_url: str) -> Iterator[str]:
    """A PostgreSQL database of the loyalty tests' own, migrated once and emptied per test."""
    with scratch_database(pg_server_url, "hf_loyalty") as url:
        upgrade(url)
        yield url


def _empty(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            names = conn.exec_driver_sql(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            ).scalars()
            conn.exec_driver_sql(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE")
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty store: a new SQLite file, or the loyalty PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
        upgrade(url)
        return url
    url = request.getfixturevalue("pg_loyalty")
    _empty(url)
    return url


@pytest.fixture
def example_program() -> Path:
    """The complete example program shipped in examples/."""
    return EXAMPLE
