"""Backends and stores for the segment tests: DuckDB, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import ibis
import pytest

BACKENDS = ["duckdb", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[ibis.BaseBackend]:
    """A fresh connection to one backend (PostgreSQL: the session's test database)."""
    if request.param == "duckdb":
        con = ibis.duckdb.connect()
    elif request.param == "sqlite":
        con = ibis.sqlite.connect()
    else:
        url = request.getfixturevalue("pg_server_url")
        con = ibis.connect(url.replace("postgresql+psycopg://", "postgres://", 1))
    yield con
    con.disconnect()


@pytest.fixture(params=STORES)
def store_url(request: pytest.FixtureRequest) -> str:
    """URL of an empty store: a SQLite file, or a scratch PostgreSQL database."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_scratch_url")
