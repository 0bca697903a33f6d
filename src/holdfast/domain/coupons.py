"""Coupon rules on plain values: what a coupon gives, who may use it, and the discount it makes.

A coupon's terms say the discount (a percentage, a fixed amount, or free shipping) and its
conditions (minimum order, validity window, first order only, minimum tier, segment, per
customer limit). ``refusal`` checks one redemption against them and names the first rule that
says no; the service applies the same answer atomically in the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Decimal

from holdfast.domain.loyalty_refusals import AlreadyUsed, Expired, NotEligible
from holdfast.errors import Refused

DISCOUNT_KINDS = ("percent", "amount", "free_shipping")


@dataclass(frozen=True)
class CouponTerms:
    """What a coupon gives and the conditions of its use (money in minor units)."""

    percent: Decimal | None = None
    amount_minor: int | None = None
    free_shipping: bool = False
    min_order_minor: int = 0
    first_order_only: bool = False
    min_tier: str | None = None
    segment: str | None = None

    @property
    def kind(self) -> str:
        """``percent``, ``amount`` or ``free_shipping``."""
        if self.percent is not None:
            return "percent"
        if self.amount_minor is not None:
            return "amount"
        return "free_shipping"

    def describe(self, exponent: int = 2) -> str:
        """A short phrase like ``10% off`` or ``5.00 off, orders from 20.00``."""
        if self.percent is not None:
            text = f"{self.percent.normalize():f}% off"
        elif self.amount_minor is not None:
            text = f"{_units(self.amount_minor, exponent)} off"
        else:
            text = "free shipping"
        if self.min_order_minor:
            text += f", orders from {_units(self.min_order_minor, exponent)}"
        if self.first_order_only:
            text += ", first order only"
        if self.min_tier:
            text += f", tier {self.min_tier} and above"
        if self.segment:
            text += f", segment {self.segment}"
        return text


@dataclass(frozen=True)
class CouponTemplate:
    """Terms plus a lifetime: what an automatic or reward coupon is issued with."""

    terms: CouponTerms
    valid_days: int | None = None


@dataclass(frozen=True)
class Redemption:
    """The facts a redemption is judged on."""

    order_minor: int
    at: datetime
    customer_orders_before: int = 0
    customer_tier_rank: int | None = None
    required_tier_rank: int | None = None
    customer_segments: frozenset[str] = frozenset()  # compared without regard to case
    exponent: int = 2


@dataclass(frozen=True)
class Usage:
    """How much a coupon is used: in total and by this customer."""

    uses: int
    max_uses: int | None
    customer_uses: int
    per_customer_limit: int | None
    starts_at: datetime | None = None
    expires_at: datetime | None = None
    disabled: bool = False


def refusal(terms: CouponTerms, usage: Usage, request: Redemption) -> Refused | None:
    """The refusal for this redemption, or None when every rule allows it.

    The order of checks is the order a person would want to hear them: a disabled or expired
    coupon first, then a used-up one, then the conditions of the order and the customer.
    """
    if usage.disabled:
        return Expired("coupon is disabled")
    if usage.starts_at is not None and request.at < usage.starts_at:
        return Expired(f"coupon is valid from {usage.starts_at:%Y-%m-%d %H:%M}")
    if usage.expires_at is not None and request.at >= usage.expires_at:
        return Expired(f"coupon expired at {usage.expires_at:%Y-%m-%d %H:%M}")
    if usage.max_uses is not None and usage.uses >= usage.max_uses:
        return AlreadyUsed("coupon already redeemed" if usage.max_uses == 1 else "coupon used up")
    if usage.per_customer_limit is not None and usage.customer_uses >= usage.per_customer_limit:
        return AlreadyUsed(
            f"customer already used this coupon {_times(usage.customer_uses)} "
            f"(limit {usage.per_customer_limit})"
        )
    if request.order_minor < terms.min_order_minor:
        minimum = _units(terms.min_order_minor, request.exponent)
        return NotEligible(f"order is below the coupon's minimum of {minimum}")
    if terms.first_order_only and request.customer_orders_before > 0:
        return NotEligible("coupon is for a first order only")
    if terms.min_tier is not None and (
        request.customer_tier_rank is None
        or request.required_tier_rank is None
        or request.customer_tier_rank < request.required_tier_rank
    ):
        return NotEligible(f"coupon is for tier {terms.min_tier} and above")
    held = {name.casefold() for name in request.customer_segments}
    if terms.segment is not None and terms.segment.casefold() not in held:
        return NotEligible(f"coupon is for segment {terms.segment!r} only")
    return None


def discount_minor(terms: CouponTerms, order_minor: int) -> int:
    """The discount on an order of ``order_minor``: a percentage rounded down to the minor
    unit, or the fixed amount capped at the order value; 0 for free shipping (the shop
    waives its shipping fee, which holdfast does not know)."""
    if terms.percent is not None:
        exact = Decimal(order_minor) * terms.percent / Decimal(100)
        return int(exact.to_integral_value(rounding=ROUND_DOWN))
    if terms.amount_minor is not None:
        return min(terms.amount_minor, order_minor)
    return 0


def _units(minor: int, exponent: int) -> str:
    return f"{Decimal(minor).scaleb(-exponent):.{exponent}f}"


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"
