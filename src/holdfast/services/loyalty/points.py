"""Points use cases: earn, redeem, adjust, reverse, event bonuses, balance and statement.

Each function owns its transaction and every write carries an idempotency key: calling it
again with the same key changes nothing and returns the first result (``replayed=True``).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from holdfast.domain.loyalty_expiry import expiry_of
from holdfast.domain.loyalty_program import Program
from holdfast.domain.loyalty_refusals import AlreadyUsed, NotEligible
from holdfast.errors import NotFound, UserError
from holdfast.services.loyalty.db import (
    Db,
    as_utc,
    customer_id,
    external_ids,
    reading,
    transaction,
)
from holdfast.services.loyalty.keys import check_key, claim, fingerprint, save_results
from holdfast.services.loyalty.ledger import (
    ACCOUNTS,
    ENTRIES,
    LOTS,
    Change,
    Written,
    lock_accounts,
    restore,
    write_credits,
    write_debit,
)
from holdfast.services.loyalty.program import program_in, require_program
from holdfast.services.loyalty.results import Balance, EntryView, PointsResult

CREDIT_KINDS = ("earn", "adjust", "reverse")


def _positive(points: int) -> int:
    if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
        raise UserError(f"points must be a whole number above 0, not {points!r}")
    return points


def _finish(conn: sa.Connection, key: str, customer: str, written: Written | None) -> PointsResult:
    if written is None:
        balance = lock_accounts(conn, [customer_id(conn, customer)])
        result = PointsResult(key, customer, None, 0, next(iter(balance.values())))
    else:
        result = PointsResult(key, customer, written.entry_id, written.points, written.balance)
    save_results(conn, {key: result.stored()})
    return result


def check_member(conn: sa.Connection, program: Program | None, ident: int, customer: str) -> None:
    """NotEligible when the program is a members' club and the customer has not joined."""
    if program is None or not program.members_club:
        return
    joined = conn.execute(
        sa.select(ACCOUNTS.c.joined_at).where(ACCOUNTS.c.customer_id == ident)
    ).scalar_one_or_none()
    if joined is None:
        raise NotEligible(f"{customer} is not a member: run `holdfast points join {customer}`")


def earn(
    db: Db,
    customer: str,
    points: int,
    key: str,
    *,
    reason: str | None = None,
    reference: str | None = None,
    now: datetime | None = None,
) -> PointsResult:
    """Credit ``points`` to ``customer`` (expiring as the program says)."""
    key, points, at = check_key(key), _positive(points), as_utc(now)
    digest = fingerprint("earn", customer=customer, points=points)
    with transaction(db) as conn:
        ident = customer_id(conn, customer)
        first = claim(conn, key, "earn", digest)
        if first is not None:
            return PointsResult.replay(first)
        program = program_in(conn)
        check_member(conn, program, ident, customer)
        expires = expiry_of(at, program.expiry) if program else None
        change = Change(ident, points, "earn", at, key, reference, reason, expires_at=expires)
        (written,) = write_credits(conn, [change])
        return _finish(conn, key, customer, written)


def earn_event(
    db: Db, customer: str, event: str, key: str, *, now: datetime | None = None
) -> PointsResult:
    """Credit the program's points for an event (review, social_share, birthday, custom)."""
    key, at = check_key(key), as_utc(now)
    digest = fingerprint("event", customer=customer, event=event)
    with transaction(db) as conn:
        ident = customer_id(conn, customer)
        first = claim(conn, key, "event", digest)
        if first is not None:
            return PointsResult.replay(first)
        program = require_program(conn)
        points = program.earn.events.get(event)
        if points is None:
            known = ", ".join(sorted(program.earn.events)) or "none"
            raise UserError(f"the program gives no points for {event!r} (events: {known})")
        check_member(conn, program, ident, customer)
        change = Change(
            ident,
            points,
            "earn",
            at,
            key,
            f"event:{event}",
            f"{event} bonus",
            expires_at=expiry_of(at, program.expiry),
        )
        (written,) = write_credits(conn, [change])
        return _finish(conn, key, customer, written)


def redeem(
    db: Db,
    customer: str,
    points: int,
    key: str,
    *,
    reason: str | None = None,
    reference: str | None = None,
    now: datetime | None = None,
) -> PointsResult:
    """Spend ``points`` of ``customer``'s, oldest first; InsufficientPoints if short."""
    key, points, at = check_key(key), _positive(points), as_utc(now)
    digest = fingerprint("redeem", customer=customer, points=points)
    with transaction(db) as conn:
        ident = customer_id(conn, customer)
        first = claim(conn, key, "redeem", digest)
        if first is not None:
            return PointsResult.replay(first)
        change = Change(ident, points, "redeem", at, key, reference, reason)
        return _finish(conn, key, customer, write_debit(conn, change))


def adjust(
    db: Db, customer: str, points: int, key: str, reason: str, *, now: datetime | None = None
) -> PointsResult:
    """A correction by hand: positive points credit (and expire as earned points do),
    negative ones debit (refused if the balance is short). ``reason`` is required."""
    key, at = check_key(key), as_utc(now)
    if isinstance(points, bool) or not isinstance(points, int) or points == 0:
        raise UserError(f"an adjustment is a whole number of points other than 0, not {points!r}")
    if not reason.strip():
        raise UserError("an adjustment needs a reason")
    digest = fingerprint("adjust", customer=customer, points=points)
    with transaction(db) as conn:
        ident = customer_id(conn, customer)
        first = claim(conn, key, "adjust", digest)
        if first is not None:
            return PointsResult.replay(first)
        if points > 0:
            program = program_in(conn)
            expires = expiry_of(at, program.expiry) if program else None
            change = Change(ident, points, "adjust", at, key, "adjust", reason, expires_at=expires)
            (written,) = write_credits(conn, [change])
        else:
            change = Change(ident, -points, "adjust", at, key, "adjust", reason)
            written = write_debit(conn, change)
        return _finish(conn, key, customer, written)


def reverse(
    db: Db, entry_id: int, key: str, *, reason: str | None = None, now: datetime | None = None
) -> PointsResult:
    """Undo an entry: a credit's points are taken back (its own lot first, never below a zero
    balance), a debit's points go back to the lots they came from. Once per debit; a credit
    can be reversed until all of it is."""
    key, at = check_key(key), as_utc(now)
    digest = fingerprint("reverse", entry=entry_id)
    with transaction(db) as conn:
        entry = conn.execute(
            sa.select(ENTRIES.c.customer_id, ENTRIES.c.kind, ENTRIES.c.points).where(
                ENTRIES.c.id == entry_id
            )
        ).first()
        if entry is None:
            raise NotFound(f"no ledger entry {entry_id}")
        customer = external_ids(conn, [entry.customer_id])[entry.customer_id]
        first = claim(conn, key, "reverse", digest)
        if first is not None:
            return PointsResult.replay(first)
        if entry.kind in ("expire", "reverse"):
            raise NotEligible(f"{entry.kind} entries cannot be reversed (use an adjustment)")
        lock_accounts(conn, [entry.customer_id])
        done = int(
            conn.execute(
                sa.select(sa.func.coalesce(sa.func.sum(ENTRIES.c.points), 0)).where(
                    ENTRIES.c.reverses_id == entry_id
                )
            ).scalar_one()
        )
        why = reason or f"reversal of entry {entry_id}"
        if entry.points > 0:
            due = entry.points + done  # reversals of a credit are negative
            if due <= 0:
                raise AlreadyUsed(f"entry {entry_id} is already reversed")
            change = Change(
                entry.customer_id,
                due,
                "reverse",
                at,
                key,
                f"entry:{entry_id}",
                why,
                reverses_id=entry_id,
            )
            written = write_debit(conn, change, cap=True, prefer_lot=entry_id)
        else:
            if done:
                raise AlreadyUsed(f"entry {entry_id} is already reversed")
            change = Change(
                entry.customer_id,
                -entry.points,
                "reverse",
                at,
                key,
                f"entry:{entry_id}",
                why,
                reverses_id=entry_id,
            )
            written = restore(conn, entry_id, change)
        return _finish(conn, key, customer, written)


def join(db: Db, customer: str, *, now: datetime | None = None) -> datetime:
    """Enrol ``customer`` in the members' club; returns when they joined (first time kept)."""
    at = as_utc(now)
    with transaction(db) as conn:
        ident = customer_id(conn, customer)
        lock_accounts(conn, [ident])
        conn.execute(
            sa.update(ACCOUNTS)
            .where(ACCOUNTS.c.customer_id == ident, ACCOUNTS.c.joined_at.is_(None))
            .values(joined_at=at)
        )
        return conn.execute(
            sa.select(ACCOUNTS.c.joined_at).where(ACCOUNTS.c.customer_id == ident)
        ).scalar_one()


def balance(db: Db, customer: str, *, now: datetime | None = None) -> Balance:
    """The customer's points, what is past expiry, and what expires when."""
    at = as_utc(now)
    with reading(db) as conn:
        ident = customer_id(conn, customer)
        points = conn.execute(
            sa.select(ACCOUNTS.c.balance).where(ACCOUNTS.c.customer_id == ident)
        ).scalar_one_or_none()
        rows = conn.execute(
            sa.select(LOTS.c.expires_at, sa.func.sum(LOTS.c.remaining))
            .where(
                LOTS.c.customer_id == ident, LOTS.c.remaining > 0, LOTS.c.expires_at.is_not(None)
            )
            .group_by(LOTS.c.expires_at)
            .order_by(LOTS.c.expires_at)
        ).all()
    past = sum(p for when, p in rows if when <= at)
    upcoming = [(when, int(p)) for when, p in rows if when > at]
    return Balance(customer, points or 0, int(past), upcoming)


def statement(db: Db, customer: str, *, limit: int = 50) -> list[EntryView]:
    """The customer's newest ledger entries, newest first."""
    with reading(db) as conn:
        ident = customer_id(conn, customer)
        rows = conn.execute(
            sa.select(
                ENTRIES.c.id,
                ENTRIES.c.kind,
                ENTRIES.c.points,
                ENTRIES.c.effective_at,
                ENTRIES.c.reference,
                ENTRIES.c.reason,
            )
            .where(ENTRIES.c.customer_id == ident)
            .order_by(ENTRIES.c.id.desc())
            .limit(limit)
        ).all()
    return [EntryView(*row) for row in rows]
