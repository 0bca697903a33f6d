"""Engines and transactions for the loyalty services, and the few SQL helpers they share.

Every public service takes ``db``: a store URL (an engine is made and disposed for the call)
or an Engine the caller keeps (benchmarks, servers, batch jobs). Each transaction is short:
SQLite takes its write lock up front (``BEGIN IMMEDIATE``, see holdfast.store.engine), on
PostgreSQL the services lock the rows they change (``FOR UPDATE``, guarded ``UPDATE``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from holdfast.errors import NotFound, StoreError
from holdfast.store.engine import create_store_engine, display_url
from holdfast.store.tables import Customer

Db = str | Engine
_MISSING_TABLE = ("no such table", "does not exist")


def utcnow() -> datetime:
    """Now as the store keeps times: naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def as_utc(moment: datetime | None) -> datetime:
    """A caller's time as naive UTC (aware times are converted; None means now)."""
    if moment is None:
        return utcnow()
    if moment.tzinfo is not None:
        return moment.astimezone(UTC).replace(tzinfo=None)
    return moment


@contextmanager
def engine_for(db: Db) -> Iterator[Engine]:
    """The caller's Engine, or one made for this call from a URL and disposed after it."""
    if isinstance(db, Engine):
        yield db
        return
    engine = create_store_engine(db)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def transaction(db: Db) -> Iterator[sa.Connection]:
    """One write transaction, committed when the block ends without an exception.

    A store that cannot be reached or lacks the loyalty tables is a StoreError that says
    what to do; business refusals and integrity errors pass through to the caller.
    """
    with engine_for(db) as engine:
        try:
            with engine.begin() as conn:
                yield conn
        except (sa.exc.OperationalError, sa.exc.ProgrammingError) as error:
            raise _store_error(engine, error) from None


@contextmanager
def reading(db: Db) -> Iterator[sa.Connection]:
    """A connection for reads (rolled back at the end)."""
    with engine_for(db) as engine:
        try:
            with engine.connect() as conn:
                yield conn
        except (sa.exc.OperationalError, sa.exc.ProgrammingError) as error:
            raise _store_error(engine, error) from None


def _store_error(engine: Engine, error: sa.exc.DBAPIError) -> StoreError:
    reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
    if any(text in reason for text in _MISSING_TABLE):
        return StoreError(
            f"the store {display_url(engine.url)} has no loyalty tables ({reason}): "
            "run `holdfast db upgrade`"
        )
    return StoreError(f"the store {display_url(engine.url)} failed: {reason}")


def is_postgres(conn: sa.Connection) -> bool:
    """True on PostgreSQL (row locks and ``SKIP LOCKED`` exist), False on SQLite."""
    return conn.dialect.name == "postgresql"


def insert_ignoring(conn: sa.Connection, table: sa.Table, keys: Sequence[str]) -> sa.Insert:
    """``INSERT … ON CONFLICT (keys) DO NOTHING`` in the connection's dialect."""
    dialect = postgresql if is_postgres(conn) else sqlite
    return dialect.insert(table).on_conflict_do_nothing(index_elements=list(keys))


def customer_ids(conn: sa.Connection, external_ids: Sequence[str]) -> dict[str, int]:
    """Store ids of customers by the shop's ids; NotFound names the first unknown one."""
    wanted = sorted(set(external_ids))
    found: dict[str, int] = {}
    table = Customer.__table__
    for start in range(0, len(wanted), 1000):
        part = wanted[start : start + 1000]
        rows = conn.execute(
            sa.select(table.c.external_id, table.c.id).where(table.c.external_id.in_(part))
        )
        found.update({external: ident for external, ident in rows})
    missing = [c for c in wanted if c not in found]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise NotFound(f"no customer {missing[0]!r} in the store{more}")
    return found


def customer_id(conn: sa.Connection, external_id: str) -> int:
    """The store id of one customer; NotFound when the shop's id is unknown."""
    return customer_ids(conn, [external_id])[external_id]


def external_ids(conn: sa.Connection, ids: Sequence[int]) -> dict[int, str]:
    """The shop's ids of customers by store id."""
    table = Customer.__table__
    found: dict[int, str] = {}
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), 1000):
        part = wanted[start : start + 1000]
        rows = conn.execute(sa.select(table.c.id, table.c.external_id).where(table.c.id.in_(part)))
        found.update({ident: external for ident, external in rows})
    return found
