"""Automatic coupons that later flows send: next order, win-back, birthday, rewards.

Each coupon is single-use, belongs to one customer and is made from a template of the
program in force (``[coupons.NAME]`` or a reward of the catalogue). It is issued once per
(kind, customer, trigger): the issue key is unique in the store, so a flow that runs twice,
or two at once, hands out one coupon. A reward's coupon is made inside the points service's
transaction that spends its points, so either both happen or neither does.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from holdfast.domain.coupons import CouponTemplate
from holdfast.domain.coupons_codes import random_code
from holdfast.errors import UserError
from holdfast.services.coupons.results import IssuedCoupon
from holdfast.services.coupons.rows import COUPONS, terms_values
from holdfast.services.loyalty.db import (
    Db,
    as_utc,
    customer_id,
    engine_for,
    insert_ignoring,
    reading,
    transaction,
)
from holdfast.services.loyalty.program import require_program
from holdfast.services.loyalty.rewards import RewardClaim, redeem_reward

PREFIX_LENGTH = 12


def issue_coupon(
    db: Db,
    template: str,
    customer: str,
    trigger: str,
    *,
    kind: str | None = None,
    now: datetime | None = None,
) -> IssuedCoupon:
    """Issue the program's coupon template ``template`` to ``customer`` for ``trigger``
    (an order id, a campaign run, a year); once per (kind, customer, trigger)."""
    with reading(db) as conn:
        program = require_program(conn)
    found = program.coupons.get(template)
    if found is None:
        known = ", ".join(sorted(program.coupons)) or "none"
        raise UserError(f"the program has no coupon template {template!r} (templates: {known})")
    return issue_from(db, found, kind or template, customer, trigger, now=now)


def issue_from(
    db: Db,
    template: CouponTemplate,
    kind: str,
    customer: str,
    trigger: str,
    *,
    now: datetime | None = None,
) -> IssuedCoupon:
    """Issue a coupon made from ``template``; the same (kind, customer, trigger) returns the
    coupon issued the first time."""
    with transaction(db) as conn:
        ident = customer_id(conn, customer)
        return issue_in(conn, template, kind, ident, customer, trigger, as_utc(now))


def issue_in(
    conn: sa.Connection,
    template: CouponTemplate,
    kind: str,
    ident: int,
    customer: str,
    trigger: str,
    at: datetime,
) -> IssuedCoupon:
    """:func:`issue_from` inside the caller's transaction (``ident``: the customer's store id)."""
    if not trigger.strip():
        raise UserError("an automatic coupon needs a trigger (what it is issued for)")
    key = f"{kind}:{customer}:{trigger.strip()}"
    expires = at + timedelta(days=template.valid_days) if template.valid_days else None
    values = terms_values(template.terms) | {
        "max_uses": 1,
        "expires_at": expires,
        "customer_id": ident,
        "issue_key": key,
    }
    prefix = kind.replace("-", "_").upper()[:PREFIX_LENGTH]
    statement = insert_ignoring(conn, COUPONS, ["issue_key"]).returning(
        COUPONS.c.id, COUPONS.c.code
    )
    made = conn.execute(statement, {"code": random_code(prefix), **values}).first()
    if made is not None:
        return IssuedCoupon(made.code, kind, customer, expires, created=True, id=made.id)
    row = conn.execute(
        sa.select(COUPONS.c.id, COUPONS.c.code, COUPONS.c.expires_at).where(
            COUPONS.c.issue_key == key
        )
    ).one()
    return IssuedCoupon(row.code, kind, customer, row.expires_at, created=False, id=row.id)


def next_order_coupon(
    db: Db, customer: str, first_order: str, *, now: datetime | None = None
) -> IssuedCoupon:
    """The ``next_order`` coupon after a customer's first purchase."""
    return issue_coupon(db, "next_order", customer, f"order:{first_order}", now=now)


def win_back_coupon(
    db: Db, customer: str, trigger: str, *, now: datetime | None = None
) -> IssuedCoupon:
    """The ``win_back`` coupon for a customer slipping away (``trigger``: the campaign run)."""
    return issue_coupon(db, "win_back", customer, trigger, now=now)


def birthday_coupon(
    db: Db, customer: str, year: int, *, now: datetime | None = None
) -> IssuedCoupon:
    """The ``birthday`` coupon, once per customer and year."""
    return issue_coupon(db, "birthday", customer, f"year:{year}", now=now)


def reward_coupon(
    db: Db, customer: str, reward: str, key: str, *, now: datetime | None = None
) -> IssuedCoupon:
    """Buy the catalogue's ``reward`` with the customer's points and issue its coupon, in one
    transaction (the points service's :func:`redeem_reward` calls back here); a replayed key
    returns the first coupon. InsufficientPoints when short."""

    def issue(conn: sa.Connection, paid: RewardClaim) -> str:
        kind = f"reward_{paid.reward.id}"
        made = issue_in(conn, paid.template, kind, paid.customer_id, customer, paid.key, paid.at)
        return made.code

    with engine_for(db) as engine:
        result = redeem_reward(engine, customer, reward, key, issue=issue, now=now)
        kind = f"reward_{result.reward}"
        if result.coupon is None:  # the points were spent without a coupon (`points reward`)
            with reading(engine) as conn:
                template = require_program(conn).rewards[result.reward].coupon
            return issue_from(engine, template, kind, customer, key, now=now)
        with reading(engine) as conn:
            row = conn.execute(
                sa.select(COUPONS.c.id, COUPONS.c.expires_at).where(COUPONS.c.code == result.coupon)
            ).one()
    return IssuedCoupon(
        result.coupon, kind, customer, row.expires_at, created=not result.replayed, id=row.id
    )
