"""A loyalty program as plain values: earn rules, expiry, tiers, rewards, referrals, coupons.

Built from a TOML file by :func:`holdfast.domain.loyalty_config.parse_program`; every service
that needs the rules takes a :class:`Program`. Money is in minor units of ``currency``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from holdfast.domain.coupons import CouponTemplate

EXPIRY_ROUNDING = ("none", "month_end", "year_end")
TIER_BASES = ("spend", "points")
DOWNGRADES = ("to_qualifying", "one_level")
BUILTIN_EVENTS = ("referral", "review", "social_share", "birthday")


@dataclass(frozen=True)
class EarnRules:
    """How purchases and events earn points.

    An order earns ``floor(net value in currency units × points_per_unit × multipliers)``
    plus ``per_order``, if its net value reaches ``min_order_minor``. Category multipliers
    weigh the order's lines by value; a tier's ``earn_multiplier`` applies on top.
    """

    points_per_unit: Decimal = Decimal(1)
    per_order: int = 0
    min_order_minor: int = 0
    categories: Mapping[str, Decimal] = field(default_factory=dict)
    events: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ExpiryRules:
    """When earned points expire: ``after_months`` after earning (None: never), moved to the
    end of that month or year when ``round_to`` says so; reminders ``remind_days`` ahead."""

    after_months: int | None = None
    round_to: str = "none"
    remind_days: int = 30


@dataclass(frozen=True)
class Tier:
    """One level: reached at ``threshold`` (minor units of spend, or points) with benefits."""

    name: str
    threshold: int
    discount_percent: Decimal = Decimal(0)
    free_shipping: bool = False
    earn_multiplier: Decimal = Decimal(1)


@dataclass(frozen=True)
class TierRules:
    """Tiers on a rolling window: upgrade as soon as the threshold is met; a downgrade waits
    until the tier has been held ``hold_months``, then goes to the qualifying tier or one
    level down (``downgrade``)."""

    levels: tuple[Tier, ...]
    basis: str = "spend"
    window_months: int = 12
    hold_months: int = 12
    downgrade: str = "to_qualifying"

    def rank(self, name: str | None) -> int | None:
        """Position of a tier by name (0 = lowest), None when unknown."""
        for i, tier in enumerate(self.levels):
            if tier.name == name:
                return i
        return None


@dataclass(frozen=True)
class Reward:
    """An entry of the reward catalogue: ``points`` buy a coupon made from ``coupon``."""

    id: str
    name: str
    points: int
    coupon: CouponTemplate


@dataclass(frozen=True)
class ReferralRules:
    """Rewards when a referred friend's first order (of at least ``min_order_minor``)
    completes: points and/or a coupon template (by name) for each side."""

    referrer_points: int = 0
    friend_points: int = 0
    referrer_coupon: str | None = None
    friend_coupon: str | None = None
    min_order_minor: int = 0


@dataclass(frozen=True)
class Program:
    """The whole loyalty program."""

    name: str
    currency: str
    exponent: int
    earn: EarnRules
    expiry: ExpiryRules
    starts: date | None = None
    members_club: bool = False
    tiers: TierRules | None = None
    rewards: Mapping[str, Reward] = field(default_factory=dict)
    referral: ReferralRules | None = None
    coupons: Mapping[str, CouponTemplate] = field(default_factory=dict)
