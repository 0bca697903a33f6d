"""How many points an order earns, and how many its refund or cancellation takes back.

Points are whole numbers, always rounded down (a customer never sees a fraction, and a
refund never takes back more than was given). The computation is on exact decimals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from holdfast.domain.loyalty_program import EarnRules

PURCHASE = "completed"


@dataclass(frozen=True)
class OrderFacts:
    """An order as the earn rules see it: money in minor units, lines as (category, amount)."""

    amount_minor: int
    refunded_minor: int = 0
    status: str = PURCHASE
    lines: Sequence[tuple[str | None, int]] = field(default_factory=tuple)

    @property
    def net_minor(self) -> int:
        """What the customer paid and kept: 0 unless the order is completed."""
        if self.status != PURCHASE:
            return 0
        return max(self.amount_minor - self.refunded_minor, 0)


def category_multiplier(rules: EarnRules, lines: Sequence[tuple[str | None, int]]) -> Decimal:
    """The lines' category multipliers averaged by line value (1 for other categories)."""
    total = sum(amount for _, amount in lines)
    if not rules.categories or total <= 0:
        return Decimal(1)
    weighted = sum(
        Decimal(amount) * rules.categories.get(category or "", Decimal(1))
        for category, amount in lines
    )
    return weighted / Decimal(total)


def order_points(
    rules: EarnRules, exponent: int, order: OrderFacts, tier_multiplier: Decimal = Decimal(1)
) -> int:
    """Points for an order: ``floor(net units × points_per_unit × category × tier)``
    plus ``per_order``; 0 for an order that is not a purchase or is below ``min_order``.

    >>> order_points(EarnRules(Decimal(1), per_order=5), 2, OrderFacts(1999))
    24
    """
    net = order.net_minor
    if net <= 0 or net < rules.min_order_minor:
        return 0
    units = Decimal(net).scaleb(-exponent)
    exact = (
        units * rules.points_per_unit * category_multiplier(rules, order.lines) * tier_multiplier
    )
    return int(exact.to_integral_value(rounding=ROUND_DOWN)) + rules.per_order


def reversal_due(earned: int, basis_minor: int, order: OrderFacts) -> int:
    """Points to have taken back in total for an order that earned ``earned`` on a value of
    ``basis_minor``: all of them when it is cancelled or fully refunded, otherwise the share
    refunded since the points were computed, rounded down.

    >>> reversal_due(50, 10000, OrderFacts(10000, refunded_minor=2500))
    12
    """
    if earned <= 0:
        return 0
    if order.status != PURCHASE or order.net_minor == 0 or basis_minor <= 0:
        return earned
    refunded_since = basis_minor - order.net_minor
    if refunded_since <= 0:
        return 0
    share = Decimal(earned) * Decimal(refunded_since) / Decimal(basis_minor)
    return min(earned, int(share.to_integral_value(rounding=ROUND_DOWN)))
