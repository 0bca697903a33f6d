"""What the coupon services return: plain values with a one-line form for the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from holdfast.domain.coupons import CouponTerms
from holdfast.domain.money import format_minor


@dataclass(frozen=True)
class CouponView:
    """A coupon, its terms and how much it is used (``active`` redemptions hold a use)."""

    code: str
    terms: CouponTerms
    max_uses: int | None
    per_customer: int | None
    uses: int
    starts_at: datetime | None
    expires_at: datetime | None
    disabled: bool
    owner: str | None
    batch_key: str | None
    released: int
    exponent: int
    created: bool = True

    def line(self) -> str:
        """One line for a person."""
        limit = "unlimited" if self.max_uses is None else f"{self.max_uses:,}"
        parts = [f"{self.code}: {self.terms.describe(self.exponent)}", f"used {self.uses}/{limit}"]
        if self.per_customer is not None:
            parts.append(f"{self.per_customer} per customer")
        if self.starts_at is not None:
            parts.append(f"from {self.starts_at:%Y-%m-%d %H:%M}")
        if self.expires_at is not None:
            parts.append(f"until {self.expires_at:%Y-%m-%d %H:%M}")
        if self.owner is not None:
            parts.append(f"for {self.owner} only")
        if self.disabled:
            parts.append("disabled")
        return ", ".join(parts)


@dataclass(frozen=True)
class BatchResult:
    """A batch of single-use codes; ``created`` is False when the key had made it before."""

    batch_key: str
    codes: list[str]
    created: bool


@dataclass(frozen=True)
class RedemptionResult:
    """A coupon used on an order: the discount it gives (0 for free shipping), and whether
    this call only found the same redemption made before (``replayed``)."""

    id: int
    code: str
    customer: str
    order: str
    order_minor: int
    discount_minor: int
    kind: str
    exponent: int
    replayed: bool = False

    def line(self) -> str:
        """One line for a person."""
        head = "already redeemed on this order: " if self.replayed else ""
        gives = (
            "free shipping"
            if self.kind == "free_shipping"
            else f"{format_minor(self.discount_minor, self.exponent)} off"
        )
        total = format_minor(self.order_minor, self.exponent)
        return f"{head}{self.code} on order {self.order} ({self.customer}, {total}): {gives}"


@dataclass(frozen=True)
class ReleaseResult:
    """A redemption given back (its use may be taken again), or found released before."""

    code: str
    order: str
    released: bool

    def line(self) -> str:
        """One line for a person."""
        state = "released" if self.released else "was already released"
        return f"{self.code} on order {self.order} {state}"


@dataclass(frozen=True)
class IssuedCoupon:
    """An automatic coupon for one customer; ``created`` is False when it was issued before
    for the same (kind, customer, trigger)."""

    code: str
    kind: str
    customer: str
    expires_at: datetime | None
    created: bool
    id: int = 0
