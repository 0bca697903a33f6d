"""Tables of the loyalty programs: the points ledger, members and tiers.

The ledger is append-only: ``loyalty_entries`` (every change of points, with a kind) and
``loyalty_allocations`` (which lot each debit took its points from) are only ever inserted.
``loyalty_accounts.balance`` and ``loyalty_lots.remaining`` are running totals kept in the
same transaction as the entries; CHECK constraints keep them from going negative, so even a
bug cannot spend a point twice. Points are integers, money is integer minor units, times are
naive UTC. Coupons and referrals have tables of their own (a later migration).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from holdfast.store.base import Base, BigId

ENTRY_KINDS = ("earn", "redeem", "expire", "adjust", "reverse")


class LoyaltyProgram(Base):
    """A loaded program file; the newest row is the program in force."""

    __tablename__ = "loyalty_programs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())


class LoyaltyAccount(Base):
    """A customer's points account: the balance (= the sum of their entries), membership,
    and the tier held now with the time it was reached (a downgrade waits on it)."""

    __tablename__ = "loyalty_accounts"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    balance: Mapped[int] = mapped_column(BigInteger, server_default="0")
    joined_at: Mapped[datetime | None] = mapped_column(DateTime)
    tier: Mapped[str | None] = mapped_column(String(64))
    tier_since: Mapped[datetime | None] = mapped_column(DateTime)


class LoyaltyRequest(Base):
    """An idempotency key and the first result of the request that used it (JSON)."""

    __tablename__ = "loyalty_requests"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    operation: Mapped[str] = mapped_column(String(32))
    fingerprint: Mapped[str] = mapped_column(String(64))
    result: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())


class LoyaltyEntry(Base):
    """One change of a customer's points; never updated or deleted.

    Credits (earn, a positive adjust or reverse) open a lot; debits (redeem, expire, a
    negative adjust or reverse) take points from lots. ``effective_at`` is when the change
    counts (an order's time for its points), ``created_at`` when it was written.
    """

    __tablename__ = "loyalty_entries"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('earn', 'redeem', 'expire', 'adjust', 'reverse')", name="kind_known"
        ),
        CheckConstraint("points <> 0", name="points_not_zero"),
        CheckConstraint(
            "(kind <> 'earn' OR points > 0) AND (kind NOT IN ('redeem', 'expire') OR points < 0)",
            name="sign_matches_kind",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    points: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str | None] = mapped_column(String(255))
    reason: Mapped[str | None] = mapped_column(Text)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    basis_minor: Mapped[int | None] = mapped_column(BigInteger)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("loyalty_entries.id"), index=True)
    request_key: Mapped[str | None] = mapped_column(ForeignKey("loyalty_requests.key"), unique=True)
    effective_at: Mapped[datetime] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())


class LoyaltyLot(Base):
    """The unspent points of one credit entry, and when they expire."""

    __tablename__ = "loyalty_lots"
    __table_args__ = (
        CheckConstraint("points > 0", name="points_positive"),
        CheckConstraint("remaining >= 0 AND remaining <= points", name="remaining_within_points"),
    )

    entry_id: Mapped[int] = mapped_column(ForeignKey("loyalty_entries.id"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    points: Mapped[int] = mapped_column(BigInteger)
    remaining: Mapped[int] = mapped_column(BigInteger)
    earned_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)


class LoyaltyAllocation(Base):
    """Points an entry took from (positive) or gave back to (negative) one lot."""

    __tablename__ = "loyalty_allocations"
    __table_args__ = (
        UniqueConstraint("entry_id", "lot_id"),
        CheckConstraint("points <> 0", name="points_not_zero"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("loyalty_entries.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("loyalty_lots.entry_id"), index=True)
    points: Mapped[int] = mapped_column(BigInteger)


class LoyaltyTierChange(Base):
    """One move of a customer between tiers, with the rolling value that decided it; only
    ever inserted, so a campaign can congratulate or warn, and support can explain."""

    __tablename__ = "loyalty_tier_changes"
    __table_args__ = (UniqueConstraint("customer_id", "changed_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    from_tier: Mapped[str | None] = mapped_column(String(64))
    to_tier: Mapped[str] = mapped_column(String(64))
    qualifying: Mapped[int] = mapped_column(BigInteger)
    changed_at: Mapped[datetime] = mapped_column(DateTime)
