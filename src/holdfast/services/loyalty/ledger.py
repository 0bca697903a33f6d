"""Writing the points ledger inside a caller's transaction: credits, debits and expiry.

Every function here runs in the caller's transaction and keeps three things equal at commit:
an account's balance, the sum of its entries, and the sum of its lots' unspent points. The
lock order is the account rows, ascending by customer id, so batches and single requests
never wait on each other in a cycle (PostgreSQL; SQLite has one writer at a time).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from holdfast.domain.loyalty_expiry import Lot, allocate, due
from holdfast.domain.loyalty_refusals import InsufficientPoints
from holdfast.errors import StoreError
from holdfast.services.loyalty.db import insert_ignoring, is_postgres
from holdfast.store.loyalty_tables import (
    LoyaltyAccount,
    LoyaltyAllocation,
    LoyaltyEntry,
    LoyaltyLot,
)

ACCOUNTS = LoyaltyAccount.__table__
ENTRIES = LoyaltyEntry.__table__
LOTS = LoyaltyLot.__table__
ALLOCATIONS = LoyaltyAllocation.__table__
PART = 1000  # ids per IN (...) list


@dataclass(frozen=True)
class Change:
    """One change of points to write; ``points`` is positive, the kind says the direction
    (earn and positive adjust or reverse credit; redeem, expire and the rest debit)."""

    customer_id: int
    points: int
    kind: str
    effective_at: datetime
    key: str | None = None
    reference: str | None = None
    reason: str | None = None
    order_id: int | None = None
    basis_minor: int | None = None
    reverses_id: int | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Written:
    """An entry written: its id, signed points, and the account balance right after it."""

    entry_id: int
    customer_id: int
    points: int
    balance: int


def _parts(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), PART):
        yield list(ids[start : start + PART])


def lock_accounts(conn: sa.Connection, customer_ids: Iterable[int]) -> dict[int, int]:
    """Create missing accounts and lock them, ascending; returns their balances."""
    wanted = sorted(set(customer_ids))
    if not wanted:
        return {}
    conn.execute(
        insert_ignoring(conn, ACCOUNTS, ["customer_id"]), [{"customer_id": c} for c in wanted]
    )
    balances: dict[int, int] = {}
    for part in _parts(wanted):
        query = (
            sa.select(ACCOUNTS.c.customer_id, ACCOUNTS.c.balance)
            .where(ACCOUNTS.c.customer_id.in_(part))
            .order_by(ACCOUNTS.c.customer_id)
        )
        if is_postgres(conn):
            query = query.with_for_update()
        balances.update({c: b for c, b in conn.execute(query)})
    return balances


def _entry_rows(changes: Sequence[Change], signs: Sequence[int]) -> list[dict[str, object]]:
    return [
        {
            "customer_id": c.customer_id,
            "kind": c.kind,
            "points": sign * c.points,
            "reference": c.reference,
            "reason": c.reason,
            "order_id": c.order_id,
            "basis_minor": c.basis_minor,
            "reverses_id": c.reverses_id,
            "request_key": c.key,
            "effective_at": c.effective_at,
        }
        for c, sign in zip(changes, signs, strict=True)
    ]


def _insert_entries(conn: sa.Connection, rows: list[dict[str, object]]) -> list[int]:
    statement = sa.insert(ENTRIES).returning(ENTRIES.c.id, sort_by_parameter_order=True)
    return [ident for (ident,) in conn.execute(statement, rows)]


def write_credits(conn: sa.Connection, changes: Sequence[Change]) -> list[Written]:
    """Write credit entries, each opening a lot; balances rise. Locks the accounts."""
    if not changes:
        return []
    totals: dict[int, int] = defaultdict(int)
    for change in changes:
        if change.points <= 0:
            raise ValueError("a credit adds a positive number of points")
        totals[change.customer_id] += change.points
    balances = lock_accounts(conn, totals)
    conn.execute(
        sa.update(ACCOUNTS)
        .where(ACCOUNTS.c.customer_id == sa.bindparam("c"))
        .values(balance=ACCOUNTS.c.balance + sa.bindparam("p")),
        [{"c": c, "p": p} for c, p in sorted(totals.items())],
    )
    ids = _insert_entries(conn, _entry_rows(changes, [1] * len(changes)))
    conn.execute(
        sa.insert(LOTS),
        [
            {
                "entry_id": ident,
                "customer_id": c.customer_id,
                "points": c.points,
                "remaining": c.points,
                "earned_at": c.effective_at,
                "expires_at": c.expires_at,
            }
            for ident, c in zip(ids, changes, strict=True)
        ],
    )
    written = []
    for ident, change in zip(ids, changes, strict=True):
        balances[change.customer_id] += change.points
        written.append(
            Written(ident, change.customer_id, change.points, balances[change.customer_id])
        )
    return written


def live_lots(conn: sa.Connection, customer_id: int) -> list[Lot]:
    """The customer's lots that still hold points (the caller holds the account lock)."""
    rows = conn.execute(
        sa.select(LOTS.c.entry_id, LOTS.c.earned_at, LOTS.c.expires_at, LOTS.c.remaining).where(
            LOTS.c.customer_id == customer_id, LOTS.c.remaining > 0
        )
    )
    return [Lot(*row) for row in rows]


def write_debit(
    conn: sa.Connection, change: Change, *, cap: bool = False, prefer_lot: int | None = None
) -> Written | None:
    """Take ``change.points`` from the customer's lots, first earned first spent (the lot
    ``prefer_lot`` first), after expiring what is due at ``change.effective_at``.

    Raises InsufficientPoints when the spendable points fall short, unless ``cap``: then
    it takes what there is (a reversal of points already spent), None when nothing.
    """
    balances = lock_accounts(conn, [change.customer_id])
    expire_locked(conn, balances, change.effective_at)
    balance = balances[change.customer_id]
    lots = live_lots(conn, change.customer_id)
    spendable = sum(lot.remaining for lot in lots)
    if spendable != balance:
        raise StoreError(
            f"ledger out of balance for customer {change.customer_id}: "
            f"account {balance}, lots {spendable}"
        )
    take = change.points
    if take > spendable:
        if not cap:
            raise InsufficientPoints(
                f"insufficient points: the balance is {spendable}, {change.points} asked"
            )
        take = spendable
    if take <= 0:
        return None
    taken = allocate(lots, take, change.effective_at, prefer_lot)
    after = conn.execute(
        sa.update(ACCOUNTS)
        .where(ACCOUNTS.c.customer_id == change.customer_id, ACCOUNTS.c.balance >= take)
        .values(balance=ACCOUNTS.c.balance - take)
        .returning(ACCOUNTS.c.balance)
    ).scalar_one_or_none()
    if after is None:  # cannot happen under the account lock; the guard stays anyway
        raise InsufficientPoints(f"insufficient points: {take} asked")
    row = _entry_rows([change], [-1])[0] | {"points": -take}
    (entry_id,) = _insert_entries(conn, [row])
    _take_from_lots(conn, entry_id, taken)
    return Written(entry_id, change.customer_id, -take, after)


def _take_from_lots(conn: sa.Connection, entry_id: int, taken: Sequence[tuple[int, int]]) -> None:
    changed = conn.execute(
        sa.update(LOTS)
        .where(LOTS.c.entry_id == sa.bindparam("l"), LOTS.c.remaining >= sa.bindparam("t"))
        .values(remaining=LOTS.c.remaining - sa.bindparam("t")),
        [{"l": lot, "t": points} for lot, points in taken],
    ).rowcount
    if changed != len(taken):
        raise StoreError(f"a lot changed under entry {entry_id}: nothing was written")
    conn.execute(
        sa.insert(ALLOCATIONS),
        [{"entry_id": entry_id, "lot_id": lot, "points": points} for lot, points in taken],
    )


def expire_locked(conn: sa.Connection, balances: dict[int, int], at: datetime) -> list[Written]:
    """Write one expiry entry per customer for the points of their lots due at ``at``.

    ``balances`` are the locked accounts (from :func:`lock_accounts`); they are updated in
    place. Each expiry takes every unspent point of its lots
    (the guard ``remaining = r`` makes a lot that changed meanwhile an error, not a double
    expiry), so running it again, or from two jobs, finds nothing left to expire.
    """
    lots_by_customer: dict[int, list[Lot]] = defaultdict(list)
    for part in _parts(sorted(balances)):
        rows = conn.execute(
            sa.select(
                LOTS.c.customer_id,
                LOTS.c.entry_id,
                LOTS.c.earned_at,
                LOTS.c.expires_at,
                LOTS.c.remaining,
            ).where(LOTS.c.customer_id.in_(part), LOTS.c.remaining > 0, LOTS.c.expires_at <= at)
        )
        for customer, *lot in rows:
            lots_by_customer[customer].append(Lot(*lot))
    plans = []
    for customer in sorted(lots_by_customer):
        lots = due(lots_by_customer[customer], at)
        if lots:
            plans.append((customer, lots))
    if not plans:
        return []
    changes = [
        Change(
            customer_id=customer,
            points=sum(lot.remaining for lot in lots),
            kind="expire",
            effective_at=max(lot.expires_at for lot in lots if lot.expires_at),
            reference="expiry",
            reason=_expiry_reason(lots),
        )
        for customer, lots in plans
    ]
    ids = _insert_entries(conn, _entry_rows(changes, [-1] * len(changes)))
    guarded = conn.execute(
        sa.update(LOTS)
        .where(LOTS.c.entry_id == sa.bindparam("l"), LOTS.c.remaining == sa.bindparam("r"))
        .values(remaining=0),
        [{"l": lot.id, "r": lot.remaining} for _, lots in plans for lot in lots],
    ).rowcount
    if guarded != sum(len(lots) for _, lots in plans):
        raise StoreError("a lot changed while it was being expired: nothing was written")
    conn.execute(
        sa.insert(ALLOCATIONS),
        [
            {"entry_id": ident, "lot_id": lot.id, "points": lot.remaining}
            for ident, (_, lots) in zip(ids, plans, strict=True)
            for lot in lots
        ],
    )
    conn.execute(
        sa.update(ACCOUNTS)
        .where(ACCOUNTS.c.customer_id == sa.bindparam("c"))
        .values(balance=ACCOUNTS.c.balance - sa.bindparam("p")),
        [{"c": c.customer_id, "p": c.points} for c in changes],
    )
    written = []
    for ident, change in zip(ids, changes, strict=True):
        balances[change.customer_id] -= change.points
        written.append(
            Written(ident, change.customer_id, -change.points, balances[change.customer_id])
        )
    return written


def _expiry_reason(lots: Sequence[Lot]) -> str:
    first = min(lot.earned_at for lot in lots)
    last = max(lot.earned_at for lot in lots)
    span = (
        f"{first:%Y-%m-%d}" if first.date() == last.date() else f"{first:%Y-%m-%d}–{last:%Y-%m-%d}"
    )
    return f"points earned {span} expired"


def restore(conn: sa.Connection, original_id: int, change: Change) -> Written:
    """Give back the points a debit took, to the lots it took them from (a reversed
    redemption). Lots past their expiry are expired again at once."""
    balances = lock_accounts(conn, [change.customer_id])
    taken = conn.execute(
        sa.select(ALLOCATIONS.c.lot_id, sa.func.sum(ALLOCATIONS.c.points))
        .where(ALLOCATIONS.c.entry_id == original_id)
        .group_by(ALLOCATIONS.c.lot_id)
        .order_by(ALLOCATIONS.c.lot_id)
    ).all()
    taken = [(lot, int(p)) for lot, p in taken]
    points = sum(p for _, p in taken)
    if points != change.points:
        raise StoreError(f"entry {original_id} took {points} points, {change.points} to restore")
    (entry_id,) = _insert_entries(conn, _entry_rows([change], [1]))
    conn.execute(
        sa.update(LOTS)
        .where(LOTS.c.entry_id == sa.bindparam("l"))
        .values(remaining=LOTS.c.remaining + sa.bindparam("t")),
        [{"l": lot, "t": p} for lot, p in taken],
    )
    conn.execute(
        sa.insert(ALLOCATIONS),
        [{"entry_id": entry_id, "lot_id": lot, "points": -p} for lot, p in taken],
    )
    conn.execute(
        sa.update(ACCOUNTS)
        .where(ACCOUNTS.c.customer_id == change.customer_id)
        .values(balance=ACCOUNTS.c.balance + points)
    )
    balances[change.customer_id] += points
    expire_locked(conn, balances, change.effective_at)
    return Written(entry_id, change.customer_id, points, balances[change.customer_id])
