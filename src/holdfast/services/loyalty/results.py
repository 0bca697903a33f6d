"""What the loyalty services return: plain values, and the JSON kept for idempotent replays."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class PointsResult:
    """One change of points: the entry written (None if nothing was due), the signed points
    and the balance right after it. ``replayed`` is True when the key had been used, and
    the rest is the first request's result."""

    key: str
    customer: str
    entry_id: int | None
    points: int
    balance: int
    replayed: bool = False

    def stored(self) -> dict[str, Any]:
        """The JSON kept with the key."""
        data = asdict(self)
        data.pop("replayed")
        return data

    @classmethod
    def replay(cls, data: dict[str, Any]) -> PointsResult:
        """The first result of a key, marked as a replay."""
        return cls(**data, replayed=True)

    def line(self) -> str:
        """One line for a person."""
        head = "replayed: " if self.replayed else ""
        change = f"{self.points:+,} points" if self.points else "no change"
        return f"{head}{self.customer}: {change}, balance {self.balance:,} (key {self.key})"


@dataclass(frozen=True)
class Balance:
    """A customer's points now: the balance, the points past expiry that the next expiry run
    removes, and the points that will expire, by date."""

    customer: str
    points: int
    past_expiry: int = 0
    expiring: list[tuple[datetime, int]] = field(default_factory=list)

    @property
    def spendable(self) -> int:
        """Points a redemption can use now."""
        return self.points - self.past_expiry


@dataclass(frozen=True)
class EntryView:
    """One ledger entry as a statement line."""

    id: int
    kind: str
    points: int
    effective_at: datetime
    reference: str | None
    reason: str | None


@dataclass(frozen=True)
class BatchSummary:
    """A batch of credits: written now, found already done (replayed), points written."""

    credited: int = 0
    replayed: int = 0
    points: int = 0
    skipped: int = 0

    def __add__(self, other: BatchSummary) -> BatchSummary:
        return BatchSummary(
            self.credited + other.credited,
            self.replayed + other.replayed,
            self.points + other.points,
            self.skipped + other.skipped,
        )


@dataclass(frozen=True)
class RewardResult:
    """A reward bought with points: the redeem entry, the balance after it, and the coupon
    code the issuer made (None without an issuer). ``replayed`` as for PointsResult."""

    key: str
    customer: str
    reward: str
    entry_id: int
    points: int
    balance: int
    coupon: str | None = None
    replayed: bool = False

    def stored(self) -> dict[str, Any]:
        """The JSON kept with the key."""
        data = asdict(self)
        data.pop("replayed")
        return data

    @classmethod
    def replay(cls, data: dict[str, Any]) -> RewardResult:
        """The first result of a key, marked as a replay."""
        return cls(**data, replayed=True)

    def line(self) -> str:
        """One line for a person."""
        head = "replayed: " if self.replayed else ""
        coupon = f", coupon {self.coupon}" if self.coupon else ""
        return (
            f"{head}{self.customer}: reward {self.reward} for {-self.points:,} points{coupon}, "
            f"balance {self.balance:,} (key {self.key})"
        )
