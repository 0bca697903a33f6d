"""Points for imported orders: credit completed orders, take back refunded or cancelled ones.

Each order earns once, under the key ``order:<order id>:earn``; its points count from the
order's time and expire from it. When an order is cancelled or (partly) refunded later, the
points due back are computed from what the order earned (in proportion to the refund) and
taken under a key naming that total, so a rerun takes nothing twice. Points the customer has
already spent are not taken below a zero balance.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from holdfast.domain.loyalty_earn import OrderFacts, order_points, reversal_due
from holdfast.domain.loyalty_expiry import expiry_of
from holdfast.domain.loyalty_program import Program
from holdfast.errors import UserError
from holdfast.services.loyalty.batch import DEFAULT_CHUNK, Keyed, credit_keyed
from holdfast.services.loyalty.db import Db, as_utc, engine_for, transaction
from holdfast.services.loyalty.keys import claim_many, fingerprint, save_results, stored
from holdfast.services.loyalty.ledger import ACCOUNTS, ENTRIES, Change, write_debit
from holdfast.services.loyalty.program import program_in, require_program
from holdfast.services.loyalty.results import PointsResult
from holdfast.services.loyalty.tiers import tier_multipliers as stored_multipliers
from holdfast.store.tables import Customer, Order, OrderLine

ORDERS = Order.__table__
LINES = OrderLine.__table__
CUSTOMERS = Customer.__table__
TierMultipliers = Callable[[sa.Connection, Program, list[int]], dict[int, Decimal]]


@dataclass(frozen=True)
class OrderPointsSummary:
    """One run over the orders: orders credited and their points, orders with points taken
    back and those points, orders that earned nothing (below minimum, not a member)."""

    credited: int = 0
    points: int = 0
    reversed: int = 0
    points_reversed: int = 0
    skipped: int = 0

    def line(self) -> str:
        """One line for a person."""
        return (
            f"{self.credited:,} orders credited with {self.points:,} points; "
            f"{self.reversed:,} refunded or cancelled orders gave back "
            f"{self.points_reversed:,} points; {self.skipped:,} orders earned nothing"
        )


def earn_after_import(db: Db, started_at: datetime) -> OrderPointsSummary | None:
    """:func:`earn_for_orders` for the orders an import just wrote, when a loyalty program is
    loaded (None otherwise). The store's ``updated_at`` may be in the database server's zone
    and whole seconds, so a day's margin is taken; the order keys make a rescan harmless."""
    with engine_for(db) as engine, transaction(engine) as conn:
        if program_in(conn) is None:
            return None
    return earn_for_orders(db, since=started_at - timedelta(days=1))


def earn_for_orders(
    db: Db,
    *,
    since: datetime | None = None,
    now: datetime | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    tier_multipliers: TierMultipliers | None = None,
) -> OrderPointsSummary:
    """Credit every completed order that has not earned yet and take back the points of
    orders refunded or cancelled since; safe to run after every import, and concurrently.

    ``since`` limits the run to orders changed (``updated_at``) from then on. A tier's
    ``earn_multiplier`` applies by the tier the customer holds when the run credits the
    order (``tier_multipliers`` replaces that lookup).
    """
    if chunk_size < 1:
        raise UserError("chunk size must be at least 1")
    at = as_utc(now)
    with engine_for(db) as engine:
        with transaction(engine) as conn:
            program = require_program(conn)
        credited = _credit_orders(engine, program, since, chunk_size, tier_multipliers)
        reversed_ = _reverse_orders(engine, since, at, chunk_size)
    return OrderPointsSummary(
        credited=credited[0],
        points=credited[1],
        skipped=credited[2],
        reversed=reversed_[0],
        points_reversed=reversed_[1],
    )


def _credit_orders(
    engine: sa.Engine,
    program: Program,
    since: datetime | None,
    chunk_size: int,
    tier_multipliers: TierMultipliers | None,
) -> tuple[int, int, int]:
    after, credited, points, skipped = -1, 0, 0, 0
    while True:
        with transaction(engine) as conn:
            orders = _uncredited(conn, program, since, after, chunk_size)
            if not orders:
                break
            after = orders[-1].id
            items = _order_credits(conn, program, orders, tier_multipliers)
            summary = credit_keyed(conn, items)
        credited += summary.credited
        points += summary.points
        skipped += len(orders) - len(items)
    return credited, points, skipped


def _uncredited(
    conn: sa.Connection, program: Program, since: datetime | None, after: int, limit: int
) -> list[sa.Row]:
    earned = sa.select(ENTRIES.c.id).where(
        ENTRIES.c.order_id == ORDERS.c.id, ENTRIES.c.kind == "earn"
    )
    query = (
        sa.select(
            ORDERS.c.id,
            ORDERS.c.external_id,
            ORDERS.c.customer_id,
            CUSTOMERS.c.external_id.label("customer"),
            ORDERS.c.ordered_at,
            ORDERS.c.amount_minor,
            ORDERS.c.refunded_minor,
            ORDERS.c.status,
        )
        .join(CUSTOMERS, CUSTOMERS.c.id == ORDERS.c.customer_id)
        .where(
            ORDERS.c.id > after,
            ORDERS.c.status == "completed",
            ORDERS.c.amount_minor > ORDERS.c.refunded_minor,
            ~sa.exists(earned),
        )
        .order_by(ORDERS.c.id)
        .limit(limit)
    )
    if program.starts is not None:
        query = query.where(
            ORDERS.c.ordered_at >= datetime.combine(program.starts, datetime.min.time())
        )
    if since is not None:
        query = query.where(ORDERS.c.updated_at >= since)
    return conn.execute(query).all()


def _order_credits(
    conn: sa.Connection,
    program: Program,
    orders: list[sa.Row],
    tier_multipliers: TierMultipliers | None,
) -> list[Keyed]:
    lines: dict[int, list[tuple[str | None, int]]] = defaultdict(list)
    if program.earn.categories:
        rows = conn.execute(
            sa.select(LINES.c.order_id, LINES.c.category, LINES.c.amount_minor).where(
                LINES.c.order_id.in_([o.id for o in orders])
            )
        )
        for order_id, category, amount in rows:
            lines[order_id].append((category, amount))
    ids = sorted({o.customer_id for o in orders})
    multipliers = (tier_multipliers or stored_multipliers)(conn, program, ids)
    members = _members(conn, ids) if program.members_club else None
    items = []
    for order in orders:
        if members is not None and order.customer_id not in members:
            continue
        facts = OrderFacts(order.amount_minor, order.refunded_minor, order.status, lines[order.id])
        tier = multipliers.get(order.customer_id, Decimal(1))
        points = order_points(program.earn, program.exponent, facts, tier)
        if points <= 0:
            continue
        key = f"order:{order.external_id}:earn"
        change = Change(
            order.customer_id,
            points,
            "earn",
            order.ordered_at,
            key,
            f"order:{order.external_id}",
            f"order {order.external_id}",
            order_id=order.id,
            basis_minor=facts.net_minor,
            expires_at=expiry_of(order.ordered_at, program.expiry),
        )
        digest = fingerprint("order-earn", order=order.external_id)
        items.append(Keyed(change, "order-earn", digest, order.customer))
    return items


def _members(conn: sa.Connection, ids: list[int]) -> set[int]:
    rows = conn.execute(
        sa.select(ACCOUNTS.c.customer_id).where(
            ACCOUNTS.c.customer_id.in_(ids), ACCOUNTS.c.joined_at.is_not(None)
        )
    )
    return {ident for (ident,) in rows}


def _reverse_orders(
    engine: sa.Engine, since: datetime | None, at: datetime, chunk_size: int
) -> tuple[int, int]:
    after, orders, points = -1, 0, 0
    while True:
        with transaction(engine) as conn:
            rows = _to_reverse(conn, since, after, chunk_size)
            if not rows:
                break
            after = rows[-1].entry_id
            done = _reverse_chunk(conn, rows, at)
        orders += done[0]
        points += done[1]
    return orders, points


def _to_reverse(
    conn: sa.Connection, since: datetime | None, after: int, limit: int
) -> list[sa.Row]:
    earned = ENTRIES.alias("earned")
    back = ENTRIES.alias("back")
    taken = (
        sa.select(sa.func.coalesce(sa.func.sum(back.c.points), 0))
        .where(back.c.reverses_id == earned.c.id)
        .scalar_subquery()
    )
    query = (
        sa.select(
            earned.c.id.label("entry_id"),
            earned.c.customer_id,
            earned.c.points,
            earned.c.basis_minor,
            taken.label("taken"),
            ORDERS.c.external_id,
            ORDERS.c.amount_minor,
            ORDERS.c.refunded_minor,
            ORDERS.c.status,
            CUSTOMERS.c.external_id.label("customer"),
        )
        .join(ORDERS, ORDERS.c.id == earned.c.order_id)
        .join(CUSTOMERS, CUSTOMERS.c.id == earned.c.customer_id)
        .where(
            earned.c.kind == "earn",
            earned.c.id > after,
            sa.or_(
                ORDERS.c.status != "completed",
                ORDERS.c.amount_minor - ORDERS.c.refunded_minor < earned.c.basis_minor,
            ),
        )
        .order_by(earned.c.id)
        .limit(limit)
    )
    if since is not None:
        query = query.where(ORDERS.c.updated_at >= since)
    return conn.execute(query).all()


def _reverse_chunk(conn: sa.Connection, rows: list[sa.Row], at: datetime) -> tuple[int, int]:
    plans = []
    for row in rows:
        facts = OrderFacts(row.amount_minor, row.refunded_minor, row.status)
        due = reversal_due(row.points, row.basis_minor or 0, facts)
        left = due + int(row.taken)  # taken is negative: the points already given back
        if left > 0:
            key = f"order:{row.external_id}:reverse:{due}"
            digest = fingerprint("order-reverse", order=row.external_id, due=due)
            plans.append((row, left, key, digest))
    requests = sorted((key, "order-reverse", digest) for _, _, key, digest in plans)
    taken = claim_many(conn, requests)
    stored(conn, [r for r in requests if r[0] not in taken])
    orders, points, results = 0, 0, {}
    for row, amount, key, _ in sorted(plans, key=lambda p: (p[0].customer_id, p[0].entry_id)):
        if key not in taken:
            continue
        change = Change(
            row.customer_id,
            amount,
            "reverse",
            at,
            key,
            f"order:{row.external_id}",
            f"order {row.external_id} {'refunded' if row.status == 'completed' else row.status}",
            reverses_id=row.entry_id,
        )
        written = write_debit(conn, change, cap=True, prefer_lot=row.entry_id)
        result = PointsResult(key, row.customer, None, 0, 0)
        if written is not None:
            orders += 1
            points -= written.points
            result = PointsResult(
                key, row.customer, written.entry_id, written.points, written.balance
            )
        results[key] = result.stored()
    save_results(conn, results)
    return orders, points
