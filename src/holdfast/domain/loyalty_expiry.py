"""Points lots: when they expire, and which lots a debit takes (first earned, first spent).

Every credit of points opens a *lot* (its points, when earned, when it expires). A debit
(redemption, negative adjustment, reversal, expiry) takes points out of lots; the ledger
records each take as an allocation, so the points that expire are always the oldest ones
still unspent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from holdfast.domain.loyalty_program import ExpiryRules


@dataclass(frozen=True)
class Lot:
    """Unspent points of one credit."""

    id: int
    earned_at: datetime
    expires_at: datetime | None
    remaining: int


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus calendar months, the day clamped to the month's end (Jan 31 + 1 → Feb 28)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, _days_in_month(year, month))
    return moment.replace(year=year, month=month, day=day)


def _days_in_month(year: int, month: int) -> int:
    following = datetime(year + month // 12, month % 12 + 1, 1)
    return (following - datetime(year, month, 1)).days


def expiry_of(earned_at: datetime, rules: ExpiryRules) -> datetime | None:
    """When points earned at ``earned_at`` expire (the first instant they are gone), or None.

    ``after_months`` later, then moved to the end of that month or year by ``round_to``: with
    12 months and ``month_end``, points earned on 2026-03-10 expire at 2027-04-01 00:00, so
    they are still there all of March 2027.
    """
    if rules.after_months is None:
        return None
    moved = add_months(earned_at, rules.after_months)
    if rules.round_to == "month_end":
        return add_months(datetime(moved.year, moved.month, 1), 1)
    if rules.round_to == "year_end":
        return datetime(moved.year + 1, 1, 1)
    return moved


def fifo(lots: Iterable[Lot]) -> list[Lot]:
    """Lots in the order they are spent: earliest earned first, then by id."""
    return sorted(lots, key=lambda lot: (lot.earned_at, lot.id))


def allocate(
    lots: Sequence[Lot], points: int, at: datetime, prefer: int | None = None
) -> list[tuple[int, int]]:
    """``(lot id, points)`` taken for a debit of ``points`` at ``at``.

    The lot ``prefer`` goes first (an order's own points when the order is refunded), then
    the others first earned, first spent. Lots expired at ``at`` are not spendable. Raises
    ValueError when the spendable lots hold fewer than ``points``.
    """
    if points <= 0:
        raise ValueError("a debit takes a positive number of points")
    live = [lot for lot in lots if lot.remaining > 0 and not is_expired(lot, at)]
    ordered = fifo(live)
    ordered.sort(key=lambda lot: lot.id != prefer)  # stable: the preferred lot moves first
    taken: list[tuple[int, int]] = []
    left = points
    for lot in ordered:
        if left == 0:
            break
        take = min(lot.remaining, left)
        taken.append((lot.id, take))
        left -= take
    if left:
        raise ValueError(f"lots hold {points - left} spendable points, {points} asked")
    return taken


def is_expired(lot: Lot, at: datetime) -> bool:
    """True when the lot's points are gone at ``at`` (expiry is the first instant without)."""
    return lot.expires_at is not None and lot.expires_at <= at


def due(lots: Iterable[Lot], at: datetime) -> list[Lot]:
    """Lots whose unspent points expire at or before ``at``, in FIFO order."""
    return fifo(lot for lot in lots if lot.remaining > 0 and is_expired(lot, at))
