"""Shared fixtures: real SQLite files, a real PostgreSQL database per test session."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pg_helpers import scratch_database

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def _admin_url() -> str | None:
    return os.environ.get("HOLDFAST_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The reference data beside the project (``../shared/data``)."""
    if not SHARED_DATA.exists():
        pytest.skip(f"reference data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """URL of a fresh PostgreSQL database for this test session, dropped afterwards.

    Needs HOLDFAST_TEST_DATABASE_URL (a database we may CREATE DATABASE from); CI sets it.
    """
    admin = _admin_url()
    if not admin:
        if os.environ.get("CI"):
            pytest.fail("CI must set HOLDFAST_TEST_DATABASE_URL (see .ci/run)")
        pytest.skip("HOLDFAST_TEST_DATABASE_URL is not set: no PostgreSQL server to test on")
    import sqlalchemy as sa

    name = f"hf_test_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:  # pragma: no cover - depends on the machine
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL is not reachable at {admin}: {error}")
    url = sa.engine.make_url(admin).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture
def pg_scratch_url(pg_server_url: str) -> Iterator[str]:
    """URL of a new, empty PostgreSQL database of this test's own."""
    with scratch_database(pg_server_url) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of an empty SQLite store file in the test's temporary folder."""
    return f"sqlite:///{tmp_path / 'holdfast.db'}"
