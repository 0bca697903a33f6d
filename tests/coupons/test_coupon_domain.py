"""The pure coupon rules and codes, on plain values."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from holdfast.domain.coupons import CouponTerms, Redemption, Usage, discount_minor, refusal
from holdfast.domain.coupons_codes import ALPHABET, canonical_code, random_code
from holdfast.domain.loyalty_refusals import AlreadyUsed, Expired, NotEligible
from holdfast.errors import UserError

AT = datetime(2026, 1, 1)
FREE = Usage(uses=0, max_uses=None, customer_uses=0, per_customer_limit=None)


def test_codes_are_compared_in_one_spelling() -> None:
    assert canonical_code(" summer-10 ") == "SUMMER10" == canonical_code("Sum mer10")
    for bad, reason in [("", "empty"), ("--", "empty"), ("a+b", "letters"), ("x" * 65, "longer")]:
        with pytest.raises(UserError, match=reason):
            canonical_code(bad)


def test_random_codes_are_long_distinct_and_unambiguous() -> None:
    codes = {random_code("vip-") for _ in range(2000)}
    assert len(codes) == 2000
    assert all(c.startswith("VIP") and len(c) == 15 for c in codes)
    assert set("".join(c[3:] for c in codes)) <= set(ALPHABET)
    assert not set("ILOU") & set(ALPHABET)
    with pytest.raises(UserError, match="too long"):
        random_code("x" * 60)


@pytest.mark.parametrize(
    ("order", "percent", "expected"),
    [(1999, "10", 199), (1, "50", 0), (10000, "12.5", 1250), (333, "33.33", 110)],
)
def test_percent_discounts_round_down_to_the_minor_unit(order: int, percent: str, expected: int):
    assert discount_minor(CouponTerms(percent=Decimal(percent)), order) == expected


def test_the_first_refusal_is_the_one_a_person_wants_to_hear() -> None:
    terms = CouponTerms(amount_minor=500, min_order_minor=2000, first_order_only=True)
    used_up = Usage(1, 1, 0, None, expires_at=datetime(2025, 1, 1))
    small = Redemption(order_minor=100, at=AT, customer_orders_before=3)
    assert isinstance(refusal(terms, used_up, small), Expired)  # expired before used up
    assert isinstance(refusal(terms, Usage(1, 1, 0, None), small), AlreadyUsed)
    assert isinstance(refusal(terms, FREE, small), NotEligible)
    assert refusal(terms, FREE, Redemption(order_minor=2000, at=AT)) is None


def test_describe_names_the_discount_and_conditions() -> None:
    terms = CouponTerms(amount_minor=500, min_order_minor=2000, min_tier="Gold", segment="vip")
    assert terms.describe() == "5.00 off, orders from 20.00, tier Gold and above, segment vip"
    assert CouponTerms(percent=Decimal("10.00")).describe() == "10% off"
    assert CouponTerms(free_shipping=True).describe(0) == "free shipping"
