"""What a caller asks a new coupon to be, checked and turned into the store's values.

Amounts arrive as exact Decimals in the store's currency and are kept as minor units; every
problem of a request is named at once, in one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from holdfast.domain.coupons import CouponTerms
from holdfast.domain.money import to_minor
from holdfast.errors import UserError
from holdfast.services.coupons.rows import terms_values
from holdfast.services.loyalty.db import as_utc


@dataclass(frozen=True)
class CouponSpec:
    """A coupon to create: one discount, its conditions, how often and when it may be used.

    ``max_uses`` None means unlimited (1 is a single-use code); ``per_customer`` None means
    no limit per customer. Times are UTC (naive or aware).
    """

    percent: Decimal | None = None
    amount: Decimal | None = None
    free_shipping: bool = False
    min_order: Decimal = Decimal(0)
    first_order_only: bool = False
    min_tier: str | None = None
    segment: str | None = None
    max_uses: int | None = None
    per_customer: int | None = None
    starts_at: datetime | None = None
    expires_at: datetime | None = None


def checked_values(spec: CouponSpec, exponent: int) -> dict[str, object]:
    """Column values of a new coupon; UserError naming every problem of ``spec``."""
    problems: list[str] = []
    discounts = [spec.percent is not None, spec.amount is not None, spec.free_shipping]
    if sum(discounts) != 1:
        problems.append("give exactly one of a percent, an amount or free shipping")
    if spec.percent is not None and not Decimal(0) < spec.percent <= Decimal(100):
        problems.append(f"percent {spec.percent} is not in (0, 100]")
    if spec.percent is not None and spec.percent != spec.percent.quantize(Decimal("0.01")):
        problems.append(f"percent {spec.percent} has more than 2 decimals")
    amount = _minor(spec.amount, "amount", exponent, problems)
    if amount is not None and amount <= 0:
        problems.append("amount must be greater than 0")
    minimum = _minor(spec.min_order, "minimum order", exponent, problems) or 0
    if minimum < 0:
        problems.append("minimum order cannot be negative")
    for name, value in (("max uses", spec.max_uses), ("per-customer limit", spec.per_customer)):
        if value is not None and (isinstance(value, bool) or value < 1):
            problems.append(f"{name} must be at least 1, not {value!r}")
    starts = None if spec.starts_at is None else as_utc(spec.starts_at)
    expires = None if spec.expires_at is None else as_utc(spec.expires_at)
    if starts is not None and expires is not None and starts >= expires:
        problems.append(f"the coupon would expire ({expires:%Y-%m-%d}) before it starts")
    for name, text in (("tier", spec.min_tier), ("segment", spec.segment)):
        if text is not None and not text.strip():
            problems.append(f"{name} cannot be empty")
    if problems:
        raise UserError("; ".join(problems))
    terms = CouponTerms(
        percent=spec.percent,
        amount_minor=amount,
        free_shipping=spec.free_shipping,
        min_order_minor=minimum,
        first_order_only=spec.first_order_only,
        min_tier=spec.min_tier,
        segment=spec.segment,
    )
    return terms_values(terms) | {
        "max_uses": spec.max_uses,
        "per_customer_limit": spec.per_customer,
        "starts_at": starts,
        "expires_at": expires,
    }


def _minor(value: Decimal | None, name: str, exponent: int, problems: list[str]) -> int | None:
    if value is None:
        return None
    try:
        return to_minor(value, exponent)
    except ValueError as error:
        problems.append(f"{name}: {error}")
        return None
