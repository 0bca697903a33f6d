"""Referral codes and recording who referred whom, with the guards against abuse.

A referral is refused when the friend is the referrer, was referred before (one referral per
friend, a unique constraint), has bought before, or shares an email, phone or payment
fingerprint with the referrer or with another referred customer (the same person twice).
Recording the same referral again returns the first one.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from holdfast.domain.coupons_codes import canonical_code, random_code
from holdfast.domain.loyalty_refusals import AlreadyUsed, NotEligible
from holdfast.errors import NotFound
from holdfast.services.coupons.rows import retrying
from holdfast.services.loyalty.db import Db, as_utc, customer_id, external_ids, insert_ignoring
from holdfast.services.referrals.identity import FINGERPRINTS, remember, shared_with
from holdfast.services.referrals.results import ReferralCodeView, ReferralView
from holdfast.store.coupon_tables import Referral, ReferralCode
from holdfast.store.tables import Order

CODES = ReferralCode.__table__
REFERRALS = Referral.__table__
ORDERS = Order.__table__
CODE_SYMBOLS = 8


def referral_code(db: Db, customer: str) -> ReferralCodeView:
    """The customer's referral code, made on first call (8 symbols, e.g. ``K3M9QX2D``)."""

    def work(conn: sa.Connection) -> ReferralCodeView:
        ident = customer_id(conn, customer)
        made = conn.execute(
            insert_ignoring(conn, CODES, ["customer_id"]).returning(CODES.c.code),
            {"customer_id": ident, "code": random_code(symbols=CODE_SYMBOLS)},
        ).first()
        if made is not None:
            return ReferralCodeView(customer, made.code, created=True)
        code = conn.execute(
            sa.select(CODES.c.code).where(CODES.c.customer_id == ident)
        ).scalar_one()
        return ReferralCodeView(customer, code, created=False)

    return retrying(db, work, lambda: AlreadyUsed("could not draw a free referral code"))


def record_referral(
    db: Db, code: str, friend: str, *, payment: str | None = None, now: datetime | None = None
) -> ReferralView:
    """Record that ``friend`` came with referral ``code`` (``payment``: the friend's payment
    fingerprint, if the shop has one); NotEligible names the guard that refused it."""
    at = as_utc(now)
    clean = canonical_code(code)

    def work(conn: sa.Connection) -> ReferralView:
        friend_id = customer_id(conn, friend)
        referrer_id = conn.execute(
            sa.select(CODES.c.customer_id).where(CODES.c.code == clean)
        ).scalar_one_or_none()
        if referrer_id is None:
            raise NotFound(f"no referral code {clean!r}")
        referrer = external_ids(conn, [referrer_id])[referrer_id]
        earlier = conn.execute(
            sa.select(REFERRALS).where(REFERRALS.c.friend_id == friend_id)
        ).first()
        if earlier is not None:
            if earlier.referrer_id != referrer_id:
                first = external_ids(conn, [earlier.referrer_id])[earlier.referrer_id]
                raise NotEligible(f"{friend} was already referred by {first}")
            return ReferralView(
                earlier.id, referrer, friend, earlier.status, earlier.recorded_at, replayed=True
            )
        if referrer_id == friend_id:
            raise NotEligible("a customer cannot refer themselves")
        _check_new_customer(conn, friend_id, friend, at)
        prints = remember(conn, friend_id, payment)
        remember(conn, referrer_id)
        same = shared_with(conn, prints, FINGERPRINTS.c.customer_id == referrer_id)
        if same is not None:
            raise NotEligible(f"{friend} has the same {same[0]} as the referrer {referrer}")
        referred = sa.select(REFERRALS.c.friend_id).scalar_subquery()
        twin = shared_with(
            conn,
            prints,
            sa.and_(
                FINGERPRINTS.c.customer_id != friend_id, FINGERPRINTS.c.customer_id.in_(referred)
            ),
        )
        if twin is not None:
            other = external_ids(conn, [twin[1]])[twin[1]]
            raise NotEligible(
                f"{friend} has the same {twin[0]} as {other}, who was already referred"
            )
        ident = conn.execute(
            sa.insert(REFERRALS)
            .values(referrer_id=referrer_id, friend_id=friend_id, code=clean, recorded_at=at)
            .returning(REFERRALS.c.id)
        ).scalar_one()
        return ReferralView(ident, referrer, friend, "pending", at)

    return retrying(db, work, lambda: NotEligible(f"{friend} is being referred concurrently"))


def _check_new_customer(conn: sa.Connection, friend_id: int, friend: str, at: datetime) -> None:
    bought = conn.execute(
        sa.select(ORDERS.c.external_id)
        .where(
            ORDERS.c.customer_id == friend_id,
            ORDERS.c.ordered_at < at,
            ORDERS.c.status == "completed",
            ORDERS.c.amount_minor > ORDERS.c.refunded_minor,
        )
        .limit(1)
    ).scalar_one_or_none()
    if bought is not None:
        raise NotEligible(
            f"{friend} has bought before (order {bought}): referrals are for new customers"
        )
