"""The expiry job and the reminders before it.

The job walks the accounts in ascending id, ``chunk_size`` per transaction: it locks those
with points due, re-reads their lots, and writes one expiry entry per customer. Running it
twice, or two at once, expires nothing twice: a second job waits for the first's locks and
then finds the lots empty. Reminders read which unspent points expire in a window, so a
campaign can tell each customer how many points they will lose and when.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from holdfast.errors import UserError
from holdfast.services.loyalty.batch import DEFAULT_CHUNK
from holdfast.services.loyalty.db import Db, as_utc, engine_for, reading, transaction
from holdfast.services.loyalty.ledger import ACCOUNTS, LOTS, expire_locked, lock_accounts
from holdfast.services.loyalty.program import program_in
from holdfast.store.tables import Customer


@dataclass(frozen=True)
class ExpirySummary:
    """What an expiry run did: customers whose points expired, and how many points."""

    customers: int = 0
    points: int = 0

    def __add__(self, other: ExpirySummary) -> ExpirySummary:
        return ExpirySummary(self.customers + other.customers, self.points + other.points)


@dataclass(frozen=True)
class Expiring:
    """Points of one customer that expire in the reminder window, and the first date."""

    customer: str
    points: int
    first_expiry: datetime
    last_expiry: datetime


def expire_points(
    db: Db,
    *,
    as_of: datetime | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    on_chunk: Callable[[ExpirySummary], None] | None = None,
) -> ExpirySummary:
    """Expire every point whose lot expired at or before ``as_of`` (default now)."""
    if chunk_size < 1:
        raise UserError("chunk size must be at least 1")
    at = as_utc(as_of)
    total = ExpirySummary()
    after = -1
    with engine_for(db) as engine:
        while True:
            with transaction(engine) as conn:
                window = _accounts_after(conn, after, chunk_size)
                if not window:
                    break
                due = _due_in(conn, after, window[-1], at)
                written = expire_locked(conn, lock_accounts(conn, due), at) if due else []
            after = window[-1]
            done = ExpirySummary(len(written), -sum(w.points for w in written))
            total += done
            if on_chunk is not None:
                on_chunk(done)
    return total


def _accounts_after(conn: sa.Connection, after: int, limit: int) -> list[int]:
    """The next ``limit`` account ids above ``after`` (a primary-key range scan)."""
    rows = conn.execute(
        sa.select(ACCOUNTS.c.customer_id)
        .where(ACCOUNTS.c.customer_id > after)
        .order_by(ACCOUNTS.c.customer_id)
        .limit(limit)
    )
    return [ident for (ident,) in rows]


def _due_in(conn: sa.Connection, after: int, last: int, at: datetime) -> list[int]:
    """Customers in the id range ``(after, last]`` with unspent points due at ``at``.

    Bounding the range keeps every chunk's cost fixed: a query for "the next customers with
    points due" lets PostgreSQL scan every due lot of the table per chunk (most lots are due
    in a large run), which made the job quadratic in the number of accounts.
    """
    rows = conn.execute(
        sa.select(LOTS.c.customer_id)
        .where(
            LOTS.c.customer_id > after,
            LOTS.c.customer_id <= last,
            LOTS.c.remaining > 0,
            LOTS.c.expires_at <= at,
        )
        .group_by(LOTS.c.customer_id)
        .order_by(LOTS.c.customer_id)
    )
    return [ident for (ident,) in rows]


def expiring_points(
    db: Db, *, within_days: int | None = None, as_of: datetime | None = None
) -> list[Expiring]:
    """Customers with unspent points expiring after ``as_of`` and within ``within_days``
    (default: the program's ``remind_days``), soonest first."""
    at = as_utc(as_of)
    with reading(db) as conn:
        if within_days is None:
            program = program_in(conn)
            within_days = program.expiry.remind_days if program else 30
        if within_days < 0:
            raise UserError("the reminder window cannot be negative")
        until = at + timedelta(days=within_days)
        customers = Customer.__table__
        rows = conn.execute(
            sa.select(
                customers.c.external_id,
                sa.func.sum(LOTS.c.remaining),
                sa.func.min(LOTS.c.expires_at),
                sa.func.max(LOTS.c.expires_at),
            )
            .join(customers, customers.c.id == LOTS.c.customer_id)
            .where(LOTS.c.remaining > 0, LOTS.c.expires_at > at, LOTS.c.expires_at <= until)
            .group_by(customers.c.external_id)
            .order_by(sa.func.min(LOTS.c.expires_at), customers.c.external_id)
        ).all()
    return [Expiring(c, int(p), first, last) for c, p, first, last in rows]
