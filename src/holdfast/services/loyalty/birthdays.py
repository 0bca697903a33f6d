"""The birthday bonus: the program's ``birthday`` event points for every customer whose
birthday falls on a day, once a year.

Each credit has the key ``birthday:<customer>:<year>``, so the job can run every day, twice,
or late for a missed day (``--as-of``) without giving anyone two birthday bonuses in a year.
Customers born on 29 February celebrate on 28 February in other years.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime

import sqlalchemy as sa

from holdfast.domain.loyalty_expiry import expiry_of
from holdfast.domain.loyalty_program import Program
from holdfast.errors import UserError
from holdfast.services.loyalty.batch import DEFAULT_CHUNK, Keyed, chunks, credit_keyed
from holdfast.services.loyalty.db import Db, as_utc, engine_for, reading, transaction
from holdfast.services.loyalty.keys import fingerprint
from holdfast.services.loyalty.ledger import ACCOUNTS, Change
from holdfast.services.loyalty.program import require_program
from holdfast.services.loyalty.results import BatchSummary
from holdfast.store.tables import Customer

CUSTOMERS = Customer.__table__
EVENT = "birthday"


def earn_birthdays(
    db: Db, *, as_of: datetime | None = None, chunk_size: int = DEFAULT_CHUNK
) -> BatchSummary:
    """Credit the ``birthday`` event's points to everyone whose birthday is ``as_of``'s day
    (default today, UTC); members only in a members' club. Replays count as ``replayed``."""
    at = as_utc(as_of)
    with engine_for(db) as engine:
        with reading(engine) as conn:
            program = require_program(conn)
            points = program.earn.events.get(EVENT)
            if points is None:
                raise UserError(
                    "the program gives no birthday points: add birthday = N to [earn.events]"
                )
            people = conn.execute(_celebrating(program, at.date())).all()
        total = BatchSummary()
        for chunk in chunks(people, chunk_size):
            items = [_credit(program, points, ident, external, at) for ident, external in chunk]
            with transaction(engine) as conn:
                total += credit_keyed(conn, items)
    return total


def _celebrating(program: Program, day: date) -> sa.Select:
    born = CUSTOMERS.c.birthday
    days = [day.day]
    last = calendar.monthrange(day.year, day.month)[1]
    if (day.month, day.day) == (2, 28) and last == 28:
        days.append(29)  # 29 February birthdays, in a year without one
    query = (
        sa.select(CUSTOMERS.c.id, CUSTOMERS.c.external_id)
        .where(
            born.is_not(None),
            sa.extract("month", born) == day.month,
            sa.extract("day", born).in_(days),
        )
        .order_by(CUSTOMERS.c.id)
    )
    if program.members_club:
        query = query.join(ACCOUNTS, ACCOUNTS.c.customer_id == CUSTOMERS.c.id).where(
            ACCOUNTS.c.joined_at.is_not(None)
        )
    return query


def _credit(program: Program, points: int, ident: int, external: str, at: datetime) -> Keyed:
    key = f"birthday:{external}:{at.year}"
    change = Change(
        ident,
        points,
        "earn",
        at,
        key,
        f"event:{EVENT}",
        f"birthday bonus {at.year}",
        expires_at=expiry_of(at, program.expiry),
    )
    digest = fingerprint("birthday", customer=external, year=at.year)
    return Keyed(change, "birthday", digest, external)
