"""Which tier a customer holds: upgrade at once, downgrade only after the tier was held long
enough, to the qualifying tier or one level down.

The qualifying value is the customer's spend (minor units) or points earned over the rolling
window that ends at the moment of the decision; the services compute it in the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from holdfast.domain.loyalty_expiry import add_months
from holdfast.domain.loyalty_program import Tier, TierRules


@dataclass(frozen=True)
class TierState:
    """A tier held and since when (``since`` restarts at every change)."""

    tier: str
    since: datetime


def qualifying_tier(rules: TierRules, value: int) -> Tier:
    """The highest level whose threshold ``value`` reaches (the first level has threshold 0).

    >>> from holdfast.domain.loyalty_program import Tier, TierRules
    >>> qualifying_tier(TierRules((Tier("Base", 0), Tier("Gold", 500))), 499).name
    'Base'
    """
    reached = rules.levels[0]
    for tier in rules.levels:
        if value >= tier.threshold:
            reached = tier
    return reached


def window_start(rules: TierRules, at: datetime) -> datetime:
    """Start of the rolling window ``[start, at)`` that qualifies a customer at ``at``."""
    return add_months(at, -rules.window_months)


def next_state(rules: TierRules, current: TierState | None, value: int, at: datetime) -> TierState:
    """The tier held at ``at`` given the one held before and the qualifying ``value``.

    A higher qualifying tier is taken at once. A lower one waits until the current tier has
    been held ``hold_months``; then the customer moves to the qualifying tier
    (``to_qualifying``) or one level down (``one_level``). A tier name the rules no longer
    know is replaced by the qualifying tier.
    """
    target = qualifying_tier(rules, value)
    if current is None:
        return TierState(target.name, at)
    held = rules.rank(current.tier)
    wanted = rules.rank(target.name)
    assert wanted is not None
    if held is None:
        return TierState(target.name, at)
    if wanted > held:
        return TierState(target.name, at)
    if wanted == held or at < add_months(current.since, rules.hold_months):
        return current
    if rules.downgrade == "one_level":
        return TierState(rules.levels[held - 1].name, at)
    return TierState(target.name, at)


def tier_named(rules: TierRules, name: str | None) -> Tier | None:
    """The level called ``name``, or None."""
    rank = rules.rank(name)
    return None if rank is None else rules.levels[rank]
