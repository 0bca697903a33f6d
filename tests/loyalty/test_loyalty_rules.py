"""Pure rules: earning on orders, proportional reversal, expiry dates, first earned first spent."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from holdfast.domain.loyalty_earn import OrderFacts, order_points, reversal_due
from holdfast.domain.loyalty_expiry import Lot, add_months, allocate, due, expiry_of
from holdfast.domain.loyalty_program import EarnRules, ExpiryRules


def test_order_points_round_down_and_add_the_per_order_bonus() -> None:
    rules = EarnRules(Decimal("1.5"), per_order=10, min_order_minor=500)
    assert order_points(rules, 2, OrderFacts(1999)) == 29 + 10  # 19.99 × 1.5 = 29.985
    assert order_points(rules, 2, OrderFacts(499)) == 0  # below the minimum
    assert order_points(rules, 2, OrderFacts(1999, status="cancelled")) == 0
    assert order_points(rules, 2, OrderFacts(1999, refunded_minor=999)) == 15 + 10
    assert order_points(rules, 0, OrderFacts(1999)) == 2998 + 10  # yen: no minor unit


def test_categories_weigh_lines_by_value_and_tiers_multiply() -> None:
    rules = EarnRules(Decimal(1), categories={"beans": Decimal(2), "gift": Decimal(0)})
    lines = [("beans", 3000), ("gift", 5000), ("mugs", 2000)]
    # (3000×2 + 5000×0 + 2000×1) / 10000 = 0.8 of 100.00
    assert order_points(rules, 2, OrderFacts(10000, lines=lines)) == 80
    assert order_points(rules, 2, OrderFacts(10000, lines=lines), Decimal("1.5")) == 120
    assert order_points(rules, 2, OrderFacts(10000)) == 100  # no lines: multiplier 1


def test_reversal_is_proportional_to_the_refund_since_earning() -> None:
    assert reversal_due(50, 10000, OrderFacts(10000, refunded_minor=2500)) == 12
    assert reversal_due(50, 10000, OrderFacts(10000, refunded_minor=10000)) == 50
    assert reversal_due(50, 10000, OrderFacts(10000, status="cancelled")) == 50
    assert reversal_due(50, 10000, OrderFacts(10000)) == 0
    # earned after a first refund of 20.00 on 80.00: a further 40.00 refunded takes half
    assert reversal_due(40, 8000, OrderFacts(10000, refunded_minor=6000)) == 20


def test_expiry_dates() -> None:
    earned = datetime(2026, 3, 10, 15, 30)
    assert expiry_of(earned, ExpiryRules()) is None
    assert expiry_of(earned, ExpiryRules(12)) == datetime(2027, 3, 10, 15, 30)
    assert expiry_of(earned, ExpiryRules(12, "month_end")) == datetime(2027, 4, 1)
    assert expiry_of(earned, ExpiryRules(0, "year_end")) == datetime(2027, 1, 1)
    assert expiry_of(datetime(2026, 12, 5), ExpiryRules(1, "month_end")) == datetime(2027, 2, 1)
    assert add_months(datetime(2026, 1, 31), 1) == datetime(2026, 2, 28)
    assert add_months(datetime(2024, 1, 31), 1) == datetime(2024, 2, 29)


def _lot(ident: int, day: int, remaining: int, expires_day: int | None = None) -> Lot:
    expires = datetime(2026, 2, expires_day) if expires_day else None
    return Lot(ident, datetime(2026, 1, day), expires, remaining)


def test_allocation_is_first_earned_first_spent() -> None:
    lots = [_lot(3, 20, 30), _lot(1, 5, 10), _lot(2, 5, 10)]
    at = datetime(2026, 1, 25)
    assert allocate(lots, 25, at) == [(1, 10), (2, 10), (3, 5)]
    assert allocate(lots, 25, at, prefer=3) == [(3, 25)]
    assert allocate(lots, 35, at, prefer=3) == [(3, 30), (1, 5)]
    with pytest.raises(ValueError, match="50 spendable points, 51 asked"):
        allocate(lots, 51, at)


def test_expired_lots_are_not_spendable_and_are_due() -> None:
    lots = [_lot(1, 1, 10, expires_day=1), _lot(2, 2, 10, expires_day=20)]
    at = datetime(2026, 2, 10)
    assert allocate(lots, 10, at) == [(2, 10)]
    assert [lot.id for lot in due(lots, at)] == [1]
    assert [lot.id for lot in due(lots, datetime(2026, 2, 20))] == [1, 2]
