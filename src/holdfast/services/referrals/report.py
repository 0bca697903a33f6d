"""The referral report: per referrer, friends brought and where they stand, and rewards."""

from __future__ import annotations

import sqlalchemy as sa

from holdfast.services.loyalty.db import Db, reading
from holdfast.services.referrals.codes import CODES, REFERRALS
from holdfast.services.referrals.results import ReferralReport, ReferrerLine
from holdfast.services.referrals.rewards import REWARDS
from holdfast.store.tables import Customer

CUSTOMERS = Customer.__table__


def referral_report(db: Db) -> ReferralReport:
    """Every referrer with their friends by status and the rewards they received, most
    rewarded first; the totals count both sides' rewards."""
    counts = {
        status: sa.func.sum(sa.case((REFERRALS.c.status == status, 1), else_=0))
        for status in ("pending", "rewarded", "refused")
    }
    mine = REWARDS.c.side == "referrer"
    query = (
        sa.select(
            CUSTOMERS.c.external_id,
            CODES.c.code,
            sa.func.count(REFERRALS.c.id),
            *counts.values(),
        )
        .select_from(REFERRALS)
        .join(CUSTOMERS, CUSTOMERS.c.id == REFERRALS.c.referrer_id)
        .outerjoin(CODES, CODES.c.customer_id == REFERRALS.c.referrer_id)
        .group_by(CUSTOMERS.c.external_id, CODES.c.code)
    )
    given = (
        sa.select(
            CUSTOMERS.c.external_id,
            sa.func.sum(REWARDS.c.points),
            sa.func.count(REWARDS.c.coupon_id),
        )
        .join(CUSTOMERS, CUSTOMERS.c.id == REWARDS.c.customer_id)
        .where(mine)
        .group_by(CUSTOMERS.c.external_id)
    )
    totals = sa.select(
        sa.func.coalesce(sa.func.sum(REWARDS.c.points), 0), sa.func.count(REWARDS.c.coupon_id)
    )
    with reading(db) as conn:
        rows = conn.execute(query).all()
        rewards = {who: (int(p or 0), int(c)) for who, p, c in conn.execute(given)}
        points, coupons = conn.execute(totals).one()
    lines = [
        ReferrerLine(
            customer=who,
            code=code,
            referred=int(n),
            pending=int(pending),
            rewarded=int(rewarded),
            refused=int(refused),
            points=rewards.get(who, (0, 0))[0],
            coupons=rewards.get(who, (0, 0))[1],
        )
        for who, code, n, pending, rewarded, refused in rows
    ]
    lines.sort(key=lambda line: (-line.rewarded, -line.referred, line.customer))
    return ReferralReport(
        lines=lines,
        referred=sum(line.referred for line in lines),
        rewarded=sum(line.rewarded for line in lines),
        points=int(points),
        coupons=int(coupons),
    )
