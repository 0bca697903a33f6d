"""Tiers in the store: recompute who holds which tier, show one customer's, read tiers for
other services (coupon rules, earn multipliers).

A recompute walks the customers in ascending id, ``chunk_size`` per transaction: it locks
their accounts, computes each one's rolling spend or points, applies the upgrade and
downgrade rules (:mod:`holdfast.domain.loyalty_tiers`) and writes every move to
``loyalty_tier_changes``. Running it again for the same moment changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from holdfast.domain.loyalty_program import Program, Tier, TierRules
from holdfast.domain.loyalty_tiers import (
    TierState,
    next_state,
    qualifying_tier,
    tier_named,
    window_start,
)
from holdfast.errors import UserError
from holdfast.services.loyalty.batch import DEFAULT_CHUNK
from holdfast.services.loyalty.db import (
    Db,
    as_utc,
    customer_id,
    engine_for,
    reading,
    transaction,
)
from holdfast.services.loyalty.ledger import ACCOUNTS, ENTRIES, lock_accounts
from holdfast.services.loyalty.program import require_program
from holdfast.store.loyalty_tables import LoyaltyTierChange
from holdfast.store.tables import Customer, Order

CHANGES = LoyaltyTierChange.__table__
ORDERS = Order.__table__
CUSTOMERS = Customer.__table__


@dataclass(frozen=True)
class TierSummary:
    """A recompute: customers looked at, placed in a first tier, moved up or down."""

    customers: int = 0
    placed: int = 0
    upgraded: int = 0
    downgraded: int = 0

    def __add__(self, other: TierSummary) -> TierSummary:
        return TierSummary(
            self.customers + other.customers,
            self.placed + other.placed,
            self.upgraded + other.upgraded,
            self.downgraded + other.downgraded,
        )

    def line(self) -> str:
        """One line for a person."""
        return (
            f"{self.customers:,} customers: {self.placed:,} placed, {self.upgraded:,} moved up, "
            f"{self.downgraded:,} moved down"
        )


@dataclass(frozen=True)
class TierView:
    """One customer's tier: held since when, the rolling value, and what the value reaches."""

    customer: str
    tier: Tier | None
    since: datetime | None
    value: int
    basis: str
    qualifies_for: Tier
    next_tier: Tier | None


def _rules(program: Program) -> TierRules:
    if program.tiers is None:
        raise UserError("the loyalty program has no tiers: add [tiers] to the program file")
    return program.tiers


def qualifying_values(
    conn: sa.Connection, rules: TierRules, ids: Sequence[int], at: datetime
) -> dict[int, int]:
    """Each customer's spend (minor units of completed orders, net of refunds) or points
    earned (earn entries less their reversals) in the window ``[at - window, at)``."""
    start = window_start(rules, at)
    if rules.basis == "spend":
        query = (
            sa.select(
                ORDERS.c.customer_id,
                sa.func.sum(ORDERS.c.amount_minor - ORDERS.c.refunded_minor),
            )
            .where(
                ORDERS.c.customer_id.in_(ids),
                ORDERS.c.status == "completed",
                ORDERS.c.ordered_at >= start,
                ORDERS.c.ordered_at < at,
            )
            .group_by(ORDERS.c.customer_id)
        )
    else:
        back = ENTRIES.alias("back")
        taken = (
            sa.select(sa.func.coalesce(sa.func.sum(back.c.points), 0))
            .where(back.c.reverses_id == ENTRIES.c.id, back.c.effective_at < at)
            .scalar_subquery()
        )
        net = (
            sa.select(ENTRIES.c.customer_id, (ENTRIES.c.points + taken).label("net"))
            .where(
                ENTRIES.c.customer_id.in_(ids),
                ENTRIES.c.kind == "earn",
                ENTRIES.c.effective_at >= start,
                ENTRIES.c.effective_at < at,
            )
            .subquery()
        )
        query = sa.select(net.c.customer_id, sa.func.sum(net.c.net)).group_by(net.c.customer_id)
    values = {ident: 0 for ident in ids}
    values.update({ident: max(int(v or 0), 0) for ident, v in conn.execute(query)})
    return values


def recompute_tiers(
    db: Db,
    *,
    as_of: datetime | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    on_chunk: Callable[[TierSummary], None] | None = None,
) -> TierSummary:
    """Move every customer (every member, in a members' club) to the tier the rules give
    at ``as_of`` (default now); safe to run again or concurrently."""
    if chunk_size < 1:
        raise UserError("chunk size must be at least 1")
    at = as_utc(as_of)
    total = TierSummary()
    after = -1
    with engine_for(db) as engine:
        with reading(engine) as conn:
            program = require_program(conn)
        rules = _rules(program)
        while True:
            with transaction(engine) as conn:
                ids = _customers(conn, program, after, chunk_size)
                if not ids:
                    break
                done = _recompute_chunk(conn, rules, ids, at)
            after = ids[-1]
            total += done
            if on_chunk is not None:
                on_chunk(done)
    return total


def _customers(conn: sa.Connection, program: Program, after: int, limit: int) -> list[int]:
    if program.members_club:
        query = sa.select(ACCOUNTS.c.customer_id.label("id")).where(
            ACCOUNTS.c.joined_at.is_not(None), ACCOUNTS.c.customer_id > after
        )
        column = ACCOUNTS.c.customer_id
    else:
        query = sa.select(CUSTOMERS.c.id).where(CUSTOMERS.c.id > after)
        column = CUSTOMERS.c.id
    return [ident for (ident,) in conn.execute(query.order_by(column).limit(limit))]


def _recompute_chunk(
    conn: sa.Connection, rules: TierRules, ids: list[int], at: datetime
) -> TierSummary:
    lock_accounts(conn, ids)
    held = {
        ident: TierState(tier, since) if tier is not None and since is not None else None
        for ident, tier, since in conn.execute(
            sa.select(ACCOUNTS.c.customer_id, ACCOUNTS.c.tier, ACCOUNTS.c.tier_since).where(
                ACCOUNTS.c.customer_id.in_(ids)
            )
        )
    }
    values = qualifying_values(conn, rules, ids, at)
    moves, placed, up, down = [], 0, 0, 0
    for ident in ids:
        before = held.get(ident)
        after = next_state(rules, before, values[ident], at)
        if after == before:
            continue
        old = rules.rank(before.tier) if before else None
        new = rules.rank(after.tier)
        assert new is not None
        if old is None:
            placed += 1
        elif new > old:
            up += 1
        elif new < old:
            down += 1
        moves.append((ident, before, after, values[ident]))
    if moves:
        conn.execute(
            sa.update(ACCOUNTS)
            .where(ACCOUNTS.c.customer_id == sa.bindparam("c"))
            .values(tier=sa.bindparam("t"), tier_since=sa.bindparam("s")),
            [{"c": i, "t": a.tier, "s": a.since} for i, _, a, _ in moves],
        )
        conn.execute(
            sa.insert(CHANGES),
            [
                {
                    "customer_id": i,
                    "from_tier": b.tier if b else None,
                    "to_tier": a.tier,
                    "qualifying": v,
                    "changed_at": a.since,
                }
                for i, b, a, v in moves
            ],
        )
    return TierSummary(len(ids), placed, up, down)


def tier_status(db: Db, customer: str, *, as_of: datetime | None = None) -> TierView:
    """The tier ``customer`` holds, since when, the rolling value and the next level."""
    at = as_utc(as_of)
    with reading(db) as conn:
        rules = _rules(require_program(conn))
        ident = customer_id(conn, customer)
        row = conn.execute(
            sa.select(ACCOUNTS.c.tier, ACCOUNTS.c.tier_since).where(ACCOUNTS.c.customer_id == ident)
        ).first()
        value = qualifying_values(conn, rules, [ident], at)[ident]
    tier = tier_named(rules, row.tier) if row else None
    reach = qualifying_tier(rules, value)
    rank = rules.rank(tier.name if tier else reach.name)
    assert rank is not None
    higher = rules.levels[rank + 1] if rank + 1 < len(rules.levels) else None
    since = row.tier_since if row and tier else None
    return TierView(customer, tier, since, value, rules.basis, reach, higher)


def tier_changes(db: Db, customer: str) -> list[tuple[datetime, str | None, str, int]]:
    """Every move of ``customer`` between tiers, oldest first: (when, from, to, value)."""
    with reading(db) as conn:
        ident = customer_id(conn, customer)
        rows = conn.execute(
            sa.select(
                CHANGES.c.changed_at, CHANGES.c.from_tier, CHANGES.c.to_tier, CHANGES.c.qualifying
            )
            .where(CHANGES.c.customer_id == ident)
            .order_by(CHANGES.c.changed_at, CHANGES.c.id)
        ).all()
    return [(when, old, new, int(v)) for when, old, new, v in rows]


def tiers_of(conn: sa.Connection, program: Program, ids: Sequence[int]) -> dict[int, Tier]:
    """The stored tier of each customer who holds one (inside the caller's transaction);
    for coupon rules (``min_tier``) and earn multipliers."""
    if program.tiers is None or not ids:
        return {}
    found: dict[int, Tier] = {}
    for start in range(0, len(ids), 1000):
        rows = conn.execute(
            sa.select(ACCOUNTS.c.customer_id, ACCOUNTS.c.tier).where(
                ACCOUNTS.c.customer_id.in_(list(ids[start : start + 1000])),
                ACCOUNTS.c.tier.is_not(None),
            )
        )
        for ident, name in rows:
            tier = tier_named(program.tiers, name)
            if tier is not None:
                found[ident] = tier
    return found


def tier_multipliers(conn: sa.Connection, program: Program, ids: list[int]) -> dict[int, Decimal]:
    """Each customer's earn multiplier from the tier they hold (1 without one)."""
    return {ident: tier.earn_multiplier for ident, tier in tiers_of(conn, program, ids).items()}
