"""Tables of coupons and referrals: codes, batches, redemptions, referral codes and rewards.

The database guards the rules a race could break: ``coupons.uses`` never exceeds
``max_uses`` (CHECK), an active redemption holds a numbered slot of its coupon and an order
holds at most one active redemption (unique constraints, the last guard behind the row lock),
a friend is referred once and rewarded once per side. A released redemption keeps its row;
its slot and order columns are cleared so the use can be taken again. Money is integer minor
units, times are naive UTC.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from holdfast.store.base import Base, BigId

REFERRAL_STATES = ("pending", "rewarded", "refused")


class CouponBatch(Base):
    """One generation of single-use codes, found again by its batch key (idempotency)."""

    __tablename__ = "coupon_batches"
    __table_args__ = (CheckConstraint("size > 0", name="size_positive"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    batch_key: Mapped[str] = mapped_column(String(255), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    prefix: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())


class Coupon(Base):
    """A code and its terms: discount, conditions, how often it may be used, and by whom."""

    __tablename__ = "coupons"
    __table_args__ = (
        CheckConstraint(
            "(percent IS NOT NULL AND amount_minor IS NULL AND NOT free_shipping) OR "
            "(percent IS NULL AND amount_minor IS NOT NULL AND NOT free_shipping) OR "
            "(percent IS NULL AND amount_minor IS NULL AND free_shipping)",
            name="one_discount",
        ),
        CheckConstraint(
            "percent IS NULL OR (percent > 0 AND percent <= 100)", name="percent_range"
        ),
        CheckConstraint("amount_minor IS NULL OR amount_minor > 0", name="amount_positive"),
        CheckConstraint("min_order_minor >= 0", name="min_order_not_negative"),
        CheckConstraint("max_uses IS NULL OR max_uses > 0", name="max_uses_positive"),
        CheckConstraint(
            "per_customer_limit IS NULL OR per_customer_limit > 0", name="limit_positive"
        ),
        CheckConstraint(
            "uses >= 0 AND (max_uses IS NULL OR uses <= max_uses)", name="uses_within_max"
        ),
        CheckConstraint(
            "starts_at IS NULL OR expires_at IS NULL OR starts_at < expires_at",
            name="window_ordered",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("coupon_batches.id"), index=True)
    percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    free_shipping: Mapped[bool] = mapped_column(Boolean, server_default=false())
    min_order_minor: Mapped[int] = mapped_column(BigInteger, server_default="0")
    first_order_only: Mapped[bool] = mapped_column(Boolean, server_default=false())
    min_tier: Mapped[str | None] = mapped_column(String(64))
    segment: Mapped[str | None] = mapped_column(String(64))
    max_uses: Mapped[int | None] = mapped_column(Integer)
    per_customer_limit: Mapped[int | None] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, server_default="0")
    starts_at: Mapped[datetime | None] = mapped_column(DateTime)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    disabled: Mapped[bool] = mapped_column(Boolean, server_default=false())
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    issue_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())


class CouponRedemption(Base):
    """One use of a coupon on one order; ``slot`` and ``active_order`` are cleared on release."""

    __tablename__ = "coupon_redemptions"
    __table_args__ = (
        UniqueConstraint("coupon_id", "slot"),
        UniqueConstraint("active_order"),
        CheckConstraint("slot IS NULL OR slot > 0", name="slot_positive"),
        CheckConstraint("discount_minor >= 0", name="discount_not_negative"),
        CheckConstraint(
            "(released_at IS NULL) = (active_order IS NOT NULL)", name="active_has_order"
        ),
        Index("ix_coupon_redemptions_coupon_customer", "coupon_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    coupon_id: Mapped[int] = mapped_column(ForeignKey("coupons.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    order_ref: Mapped[str] = mapped_column(String(255), index=True)
    active_order: Mapped[str | None] = mapped_column(String(255))
    slot: Mapped[int | None] = mapped_column(Integer)
    order_minor: Mapped[int] = mapped_column(BigInteger)
    discount_minor: Mapped[int] = mapped_column(BigInteger)
    redeemed_at: Mapped[datetime] = mapped_column(DateTime)
    released_at: Mapped[datetime | None] = mapped_column(DateTime)
    release_reason: Mapped[str | None] = mapped_column(Text)


class ReferralCode(Base):
    """A customer's own referral code."""

    __tablename__ = "referral_codes"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())


class Referral(Base):
    """A friend brought by a referrer; rewarded once, when the friend's first order completes."""

    __tablename__ = "referrals"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'rewarded', 'refused')", name="status_known"),
        CheckConstraint("referrer_id <> friend_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    referrer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    friend_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), unique=True)
    code: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), server_default="pending")
    order_ref: Mapped[str | None] = mapped_column(String(255))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    settled_at: Mapped[datetime | None] = mapped_column(DateTime)


class ReferralReward(Base):
    """What one side of a referral received: points (by ledger key) and/or a coupon."""

    __tablename__ = "referral_rewards"
    __table_args__ = (
        UniqueConstraint("friend_id", "side"),
        CheckConstraint("side IN ('referrer', 'friend')", name="side_known"),
        CheckConstraint("points >= 0", name="points_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)
    friend_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    side: Mapped[str] = mapped_column(String(8))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    points: Mapped[int] = mapped_column(BigInteger, server_default="0")
    points_key: Mapped[str | None] = mapped_column(String(255))
    coupon_id: Mapped[int | None] = mapped_column(ForeignKey("coupons.id"))
    rewarded_at: Mapped[datetime] = mapped_column(DateTime)


class IdentityFingerprint(Base):
    """A hashed email, phone or payment fingerprint of a customer, to spot one person twice."""

    __tablename__ = "identity_fingerprints"
    __table_args__ = (
        UniqueConstraint("kind", "digest", "customer_id"),
        CheckConstraint("kind IN ('email', 'phone', 'payment')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    digest: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
