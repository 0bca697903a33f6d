"""The reward job: when a referred friend's first order completes, reward both sides.

Each side gets the program's ``[referral]`` points (through the points service, under the
key ``referral:<id>:<side>``) and/or a coupon from a template (issued once per referral and
side). Only then is the referral marked rewarded and its rewards written, one per friend and
side (a unique constraint). Every step is idempotent, so a job killed midway, run twice or
run twice at once gives each friend's referral its rewards once.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from holdfast.domain.loyalty_program import Program, ReferralRules
from holdfast.domain.money import format_minor
from holdfast.errors import Refused, UserError
from holdfast.services import loyalty
from holdfast.services.coupons.issue import issue_from
from holdfast.services.loyalty.db import (
    Db,
    as_utc,
    engine_for,
    external_ids,
    insert_ignoring,
    reading,
    transaction,
)
from holdfast.services.loyalty.program import require_program
from holdfast.services.referrals.codes import ORDERS, REFERRALS
from holdfast.services.referrals.results import RewardRun
from holdfast.store.coupon_tables import ReferralReward

REWARDS = ReferralReward.__table__


def reward_referrals(db: Db, *, now: datetime | None = None) -> RewardRun:
    """Reward every pending referral whose friend has completed a first order; refuse those
    whose first order is below the program's minimum. Safe to repeat and to run at once."""
    at = as_utc(now)
    with engine_for(db) as engine:
        with reading(engine) as conn:
            program = require_program(conn)
            pending = conn.execute(
                sa.select(REFERRALS.c.id, REFERRALS.c.referrer_id, REFERRALS.c.friend_id)
                .where(REFERRALS.c.status == "pending")
                .order_by(REFERRALS.c.id)
            ).all()
            names = external_ids(conn, [i for r in pending for i in (r[1], r[2])])
        if program.referral is None:
            raise UserError("the program has no [referral] section: nothing to reward")
        run = RewardRun()
        for referral in pending:
            _settle(engine, program, referral, names, at, run)
    return run


def _settle(
    engine: sa.Engine,
    program: Program,
    referral: sa.Row,
    names: dict[int, str],
    at: datetime,
    run: RewardRun,
) -> None:
    rules: ReferralRules = program.referral  # type: ignore[assignment]
    with reading(engine) as conn:
        first = _first_order(conn, referral.friend_id)
    if first is None:
        run.waiting += 1
        return
    order, net = first
    if net < rules.min_order_minor:
        minimum = format_minor(rules.min_order_minor, program.exponent)
        _mark(engine, referral.id, "refused", order, f"first order {order} below {minimum}", at)
        run.refused += 1
        return
    sides = (
        ("referrer", referral.referrer_id, rules.referrer_points, rules.referrer_coupon),
        ("friend", referral.friend_id, rules.friend_points, rules.friend_coupon),
    )
    rows = []
    for side, ident, side_points, template in sides:
        customer = names[ident]
        key = f"referral:{referral.id}:{side}"
        given = 0
        if side_points:
            try:
                loyalty.earn(
                    engine,
                    customer,
                    side_points,
                    key,
                    reason=f"referral bonus ({side})",
                    reference=f"referral:{referral.id}",
                    now=at,
                )
                given = side_points
            except Refused as refusal:
                run.notes.append(f"referral {referral.id}: no points for {customer}: {refusal}")
        coupon_id = None
        if template is not None:
            issued = issue_from(
                engine,
                program.coupons[template],
                f"referral_{side}",
                customer,
                f"referral:{referral.id}",
                now=at,
            )
            run.coupons.append(issued.code)
            coupon_id = issued.id
        run.points += given
        rows.append(
            {
                "referral_id": referral.id,
                "friend_id": referral.friend_id,
                "side": side,
                "customer_id": ident,
                "points": given,
                "points_key": key if given else None,
                "coupon_id": coupon_id,
                "rewarded_at": at,
            }
        )
    with transaction(engine) as conn:
        conn.execute(insert_ignoring(conn, REWARDS, ["friend_id", "side"]), rows)
        _mark_in(conn, referral.id, "rewarded", order, None, at)
    run.rewarded += 1


def _first_order(conn: sa.Connection, friend_id: int) -> tuple[str, int] | None:
    row = conn.execute(
        sa.select(ORDERS.c.external_id, ORDERS.c.amount_minor - ORDERS.c.refunded_minor)
        .where(
            ORDERS.c.customer_id == friend_id,
            ORDERS.c.status == "completed",
            ORDERS.c.amount_minor > ORDERS.c.refunded_minor,
        )
        .order_by(ORDERS.c.ordered_at, ORDERS.c.id)
        .limit(1)
    ).first()
    return None if row is None else (row[0], int(row[1]))


def _mark(
    engine: sa.Engine, ident: int, status: str, order: str, note: str | None, at: datetime
) -> None:
    with transaction(engine) as conn:
        _mark_in(conn, ident, status, order, note, at)


def _mark_in(
    conn: sa.Connection, ident: int, status: str, order: str, note: str | None, at: datetime
) -> None:
    conn.execute(
        sa.update(REFERRALS)
        .where(REFERRALS.c.id == ident, REFERRALS.c.status == "pending")
        .values(status=status, order_ref=order, note=note, settled_at=at)
    )
