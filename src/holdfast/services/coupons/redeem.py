"""Validate and redeem a coupon atomically; release a redemption when its order is undone.

A redemption runs in one transaction: lock the coupon row, re-read its use, judge the rules
(:func:`holdfast.domain.coupons.refusal`), raise the use count with a guarded ``UPDATE … WHERE
uses < max_uses``, and write the redemption in a numbered slot of the coupon. Three guards
stand behind one another: the row lock (``FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on
SQLite), the guarded update, and the unique constraints on (coupon, slot) and on the active
order. When a constraint refuses a concurrent insert, the request is judged again against the
committed state, so a replay gets the first result and a loser gets a clean refusal.

The order is the natural idempotency key: redeeming the same coupon for the same order and
customer again returns the first redemption. An order holds one coupon at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from holdfast.domain.coupons import Redemption, Usage, discount_minor, refusal
from holdfast.domain.coupons_codes import canonical_code
from holdfast.domain.loyalty_refusals import AlreadyUsed, KeyConflict, NotEligible
from holdfast.domain.money import to_minor
from holdfast.errors import NotFound, UserError
from holdfast.services.coupons.results import RedemptionResult, ReleaseResult
from holdfast.services.coupons.rows import (
    COUPONS,
    REDEMPTIONS,
    find_coupon,
    retrying,
    store_exponent,
    terms_of,
)
from holdfast.services.loyalty.db import (
    Db,
    as_utc,
    customer_id,
    engine_for,
    external_ids,
    reading,
    transaction,
)
from holdfast.services.loyalty.program import program_in
from holdfast.services.loyalty.tiers import tiers_of
from holdfast.store.score_tables import CustomerScore, ScoreRun
from holdfast.store.tables import Order

ORDERS = Order.__table__
SCORES = CustomerScore.__table__
RUNS = ScoreRun.__table__


def redeem(
    db: Db,
    code: str,
    customer: str,
    order: str,
    *,
    order_total: Decimal | None = None,
    tier: str | None = None,
    segments: Iterable[str] = (),
    now: datetime | None = None,
    dry_run: bool = False,
) -> RedemptionResult:
    """Use ``code`` on ``order`` of ``customer``, or raise the refusal that says why not.

    ``order_total`` is the order's value before the discount (default: the order's net value
    in the store); ``tier`` (default: the tier the store holds) and ``segments`` (default:
    segment, stage and VIP flag of the newest scoring run) are the customer's, for coupons
    limited to them. ``dry_run`` judges and writes nothing.
    """
    request = _Request(code, customer, order, order_total, tier, frozenset(segments), now)
    if dry_run:
        with reading(db) as conn:
            return _redeem(conn, request, write=False)
    return retrying(
        db,
        lambda conn: _redeem(conn, request),
        lambda: AlreadyUsed(f"coupon {request.code!r} was taken by a concurrent redemption"),
    )


class _Request:
    def __init__(
        self,
        code: str,
        customer: str,
        order: str,
        total: Decimal | None,
        tier: str | None,
        segments: frozenset[str],
        now: datetime | None,
    ) -> None:
        self.code = canonical_code(code)
        self.customer = customer
        self.order = order.strip()
        if not self.order:
            raise UserError("a redemption needs the order's id")
        self.total = total
        self.tier = tier
        self.segments = segments
        self.at = as_utc(now)


def _redeem(conn: sa.Connection, request: _Request, *, write: bool = True) -> RedemptionResult:
    ident = customer_id(conn, request.customer)
    coupon = find_coupon(conn, request.code, lock=write)
    exponent = store_exponent(conn)
    earlier = _active_on_order(conn, request.order)
    if earlier is not None:
        return _replay(conn, earlier, coupon, ident, request, exponent)
    if coupon.customer_id is not None and coupon.customer_id != ident:
        raise NotEligible(f"coupon {coupon.code!r} was issued to another customer")
    order_minor = _order_minor(conn, request, exponent)
    terms = terms_of(coupon)
    facts = Redemption(
        order_minor=order_minor,
        at=request.at,
        customer_orders_before=_orders_before(conn, ident, request.order),
        customer_segments=request.segments,
        exponent=exponent,
    )
    if terms.min_tier is not None:
        facts = _with_tier_ranks(conn, facts, terms.min_tier, request.tier, ident)
    if terms.segment is not None and not request.segments:
        facts = replace(facts, customer_segments=stored_segments(conn, ident))
    usage = Usage(
        uses=coupon.uses,
        max_uses=coupon.max_uses,
        customer_uses=_customer_uses(conn, coupon.id, ident),
        per_customer_limit=coupon.per_customer_limit,
        starts_at=coupon.starts_at,
        expires_at=coupon.expires_at,
        disabled=bool(coupon.disabled),
    )
    refused = refusal(terms, usage, facts)
    if refused is not None:
        raise refused
    discount = discount_minor(terms, order_minor)
    result = RedemptionResult(
        0, coupon.code, request.customer, request.order, order_minor, discount, terms.kind, exponent
    )
    if not write:
        return result
    taken = conn.execute(
        sa.update(COUPONS)
        .where(
            COUPONS.c.id == coupon.id,
            sa.or_(COUPONS.c.max_uses.is_(None), COUPONS.c.uses < COUPONS.c.max_uses),
        )
        .values(uses=COUPONS.c.uses + 1)
        .returning(COUPONS.c.uses)
    ).first()
    if taken is None:  # only when the lock was not held; the guard stays anyway
        raise AlreadyUsed(f"coupon {coupon.code!r} is used up")
    slot = None if coupon.max_uses is None else _free_slot(conn, coupon.id, coupon.max_uses)
    ident_row = conn.execute(
        sa.insert(REDEMPTIONS)
        .values(
            coupon_id=coupon.id,
            customer_id=ident,
            order_ref=request.order,
            active_order=request.order,
            slot=slot,
            order_minor=order_minor,
            discount_minor=discount,
            redeemed_at=request.at,
        )
        .returning(REDEMPTIONS.c.id)
    ).scalar_one()
    return RedemptionResult(
        ident_row,
        coupon.code,
        request.customer,
        request.order,
        order_minor,
        discount,
        terms.kind,
        exponent,
    )


def _active_on_order(conn: sa.Connection, order: str) -> sa.Row | None:
    return conn.execute(
        sa.select(REDEMPTIONS, COUPONS.c.code)
        .join(COUPONS, COUPONS.c.id == REDEMPTIONS.c.coupon_id)
        .where(REDEMPTIONS.c.active_order == order)
    ).first()


def _replay(
    conn: sa.Connection,
    earlier: sa.Row,
    coupon: sa.Row,
    ident: int,
    request: _Request,
    exponent: int,
) -> RedemptionResult:
    if earlier.coupon_id != coupon.id:
        raise NotEligible(
            f"order {request.order} already uses coupon {earlier.code!r}: one coupon per order"
        )
    if earlier.customer_id != ident:
        who = external_ids(conn, [earlier.customer_id])[earlier.customer_id]
        raise KeyConflict(f"order {request.order} was redeemed with this coupon by {who}")
    return RedemptionResult(
        earlier.id,
        coupon.code,
        request.customer,
        request.order,
        earlier.order_minor,
        earlier.discount_minor,
        terms_of(coupon).kind,
        exponent,
        replayed=True,
    )


def _order_minor(conn: sa.Connection, request: _Request, exponent: int) -> int:
    if request.total is not None:
        try:
            value = to_minor(request.total, exponent)
        except ValueError as error:
            raise UserError(f"order total: {error}") from None
        if value < 0:
            raise UserError(f"order total cannot be negative, not {request.total}")
        return value
    row = conn.execute(
        sa.select(ORDERS.c.amount_minor, ORDERS.c.refunded_minor).where(
            ORDERS.c.external_id == request.order
        )
    ).first()
    if row is None:
        raise UserError(
            f"order {request.order} is not in the store: give its total (--total AMOUNT)"
        )
    return row.amount_minor - row.refunded_minor


def _orders_before(conn: sa.Connection, ident: int, order: str) -> int:
    """The customer's purchases other than this order (completed, not fully refunded)."""
    return conn.execute(
        sa.select(sa.func.count()).where(
            ORDERS.c.customer_id == ident,
            ORDERS.c.external_id != order,
            ORDERS.c.status == "completed",
            ORDERS.c.amount_minor > ORDERS.c.refunded_minor,
        )
    ).scalar_one()


def _with_tier_ranks(
    conn: sa.Connection, facts: Redemption, required: str, tier: str | None, ident: int
) -> Redemption:
    """The ranks of the customer's tier (given, else the one the store holds) and of the
    coupon's minimum tier, in the program's order."""
    program = program_in(conn)
    if program is None or program.tiers is None:
        return facts
    if tier is None:
        held = tiers_of(conn, program, [ident]).get(ident)
        tier = held.name if held is not None else None
    return replace(
        facts,
        customer_tier_rank=program.tiers.rank(tier),
        required_tier_rank=program.tiers.rank(required),
    )


def stored_segments(conn: sa.Connection, ident: int) -> frozenset[str]:
    """The customer's segment, lifecycle stage and ``VIP`` (when flagged) in the newest
    scoring run that scored them (``holdfast score``); empty when never scored."""
    row = conn.execute(
        sa.select(SCORES.c.segment, SCORES.c.stage, SCORES.c.vip)
        .join(RUNS, RUNS.c.id == SCORES.c.run_id)
        .where(SCORES.c.customer_id == ident)
        .order_by(RUNS.c.as_of.desc())
        .limit(1)
    ).first()
    if row is None:
        return frozenset()
    return frozenset([row.segment, row.stage, *(["VIP"] if row.vip else [])])


def _customer_uses(conn: sa.Connection, coupon_id: int, ident: int) -> int:
    return conn.execute(
        sa.select(sa.func.count()).where(
            REDEMPTIONS.c.coupon_id == coupon_id,
            REDEMPTIONS.c.customer_id == ident,
            REDEMPTIONS.c.released_at.is_(None),
        )
    ).scalar_one()


def _free_slot(conn: sa.Connection, coupon_id: int, max_uses: int) -> int:
    """The lowest slot no active redemption holds (the caller holds the coupon's lock)."""
    taken = conn.execute(
        sa.select(REDEMPTIONS.c.slot)
        .where(REDEMPTIONS.c.coupon_id == coupon_id, REDEMPTIONS.c.slot.is_not(None))
        .order_by(REDEMPTIONS.c.slot)
    ).scalars()
    slot = 1
    for held in taken:
        if held != slot:
            break
        slot += 1
    if slot > max_uses:
        raise AlreadyUsed("coupon used up")
    return slot


def release(
    db: Db, order: str, *, reason: str = "order cancelled", now: datetime | None = None
) -> ReleaseResult:
    """Give back the coupon use of ``order`` (its order was cancelled or refunded); a second
    call finds it released and changes nothing."""
    order, at = order.strip(), as_utc(now)
    with transaction(db) as conn:
        active = _active_on_order(conn, order)
        if active is None:
            past = conn.execute(
                sa.select(COUPONS.c.code)
                .join(REDEMPTIONS, REDEMPTIONS.c.coupon_id == COUPONS.c.id)
                .where(REDEMPTIONS.c.order_ref == order)
                .order_by(REDEMPTIONS.c.id.desc())
                .limit(1)
            ).scalar_one_or_none()
            if past is None:
                raise NotFound(f"no coupon was redeemed on order {order}")
            return ReleaseResult(past, order, released=False)
        find_coupon(conn, active.code, lock=True)
        done = _release_locked(conn, active.id, active.coupon_id, reason, at)
        return ReleaseResult(active.code, order, released=done)


def _release_locked(
    conn: sa.Connection, redemption_id: int, coupon_id: int, reason: str, at: datetime
) -> bool:
    done = conn.execute(
        sa.update(REDEMPTIONS)
        .where(REDEMPTIONS.c.id == redemption_id, REDEMPTIONS.c.released_at.is_(None))
        .values(released_at=at, release_reason=reason, slot=None, active_order=None)
    ).rowcount
    if done:
        conn.execute(
            sa.update(COUPONS)
            .where(COUPONS.c.id == coupon_id, COUPONS.c.uses > 0)
            .values(uses=COUPONS.c.uses - 1)
        )
    return bool(done)


def release_undone_orders(db: Db, *, now: datetime | None = None) -> list[ReleaseResult]:
    """Release the coupon of every order the store shows cancelled or fully refunded (run it
    after each import; safe to repeat)."""
    at = as_utc(now)
    undone = sa.or_(
        ORDERS.c.status != "completed", ORDERS.c.refunded_minor >= ORDERS.c.amount_minor
    )
    with engine_for(db) as engine:
        with reading(engine) as conn:
            rows = conn.execute(
                sa.select(REDEMPTIONS.c.active_order, ORDERS.c.status)
                .join(ORDERS, ORDERS.c.external_id == REDEMPTIONS.c.active_order)
                .where(undone)
                .order_by(REDEMPTIONS.c.id)
            ).all()
        results = []
        for order, status in rows:
            why = f"order {status}" if status != "completed" else "order refunded"
            results.append(release(engine, order, reason=why, now=at))
    return results
