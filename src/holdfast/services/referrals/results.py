"""What the referral services return: plain values with a one-line form for the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ReferralCodeView:
    """A customer's referral code; ``created`` is False when it existed already."""

    customer: str
    code: str
    created: bool


@dataclass(frozen=True)
class ReferralView:
    """A referral: who brought whom, and where it stands (pending, rewarded, refused)."""

    id: int
    referrer: str
    friend: str
    status: str
    recorded_at: datetime
    replayed: bool = False

    def line(self) -> str:
        """One line for a person."""
        head = "already recorded: " if self.replayed else ""
        return f"{head}{self.referrer} referred {self.friend} (referral {self.id}, {self.status})"


@dataclass
class RewardRun:
    """One run of the reward job (filled in as it goes): referrals rewarded now, refused
    now, still waiting for the friend's first order, and what was given."""

    rewarded: int = 0
    refused: int = 0
    waiting: int = 0
    points: int = 0
    coupons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        """One line for a person."""
        return (
            f"{self.rewarded:,} referrals rewarded ({self.points:,} points, "
            f"{len(self.coupons):,} coupons), {self.refused:,} refused, "
            f"{self.waiting:,} waiting for the friend's first order"
        )


@dataclass(frozen=True)
class ReferrerLine:
    """One referrer's results."""

    customer: str
    code: str | None
    referred: int
    pending: int
    rewarded: int
    refused: int
    points: int
    coupons: int


@dataclass(frozen=True)
class ReferralReport:
    """Every referrer's line, best first, and the totals (friends' rewards included)."""

    lines: list[ReferrerLine]
    referred: int
    rewarded: int
    points: int
    coupons: int
