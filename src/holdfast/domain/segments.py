"""Named RFM segments, defined as data: ordered rules over recency and frequency scores.

The segments follow the common R x F grid of RFM practice (docs/segments.md): each rule gives
ranges of the recency score R and the frequency score F on a 1-5 scale, optionally the number
of purchase days, and the first rule that matches names the segment. The rules cover every
(R, F) cell, so every customer has exactly one segment. Scores on another scale (``bins``) are
mapped to 1-5 first: s5 = ceil(5 s / bins).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from holdfast.errors import UserError

SCALE = 5
MIN_BINS, MAX_BINS = 2, 10


@dataclass(frozen=True)
class SegmentRule:
    """One named segment: inclusive ranges of R and F (1-5) and of purchase days."""

    name: str
    r: tuple[int, int]
    f: tuple[int, int] = (1, SCALE)
    orders: tuple[int, int | None] = (1, None)
    description: str = ""

    def matches(self, r: int, f: int, orders: int) -> bool:
        """Whether a customer with these 1-5 scores and purchase days is in this segment."""
        high = self.orders[1]
        return (
            self.r[0] <= r <= self.r[1]
            and self.f[0] <= f <= self.f[1]
            and orders >= self.orders[0]
            and (high is None or orders <= high)
        )


#: The segments, first match wins (docs/segments.md explains each).
SEGMENTS: tuple[SegmentRule, ...] = (
    SegmentRule("New", r=(5, 5), orders=(1, 1), description="one purchase, very recent"),
    SegmentRule("Promising", r=(4, 4), orders=(1, 1), description="one purchase, recent"),
    SegmentRule("Champions", r=(5, 5), f=(4, 5), description="bought recently and often"),
    SegmentRule("Loyal", r=(3, 4), f=(4, 5), description="buy often, fairly recently"),
    SegmentRule("Potential loyalists", r=(4, 5), f=(1, 3), description="recent, not yet frequent"),
    SegmentRule("Need attention", r=(3, 3), f=(1, 3), description="middling on both"),
    SegmentRule("Can't lose them", r=(1, 2), f=(5, 5), description="were the most frequent"),
    SegmentRule("At risk", r=(1, 2), f=(3, 4), description="frequent once, silent now"),
    SegmentRule("Hibernating", r=(2, 2), f=(1, 2), description="rare and long ago"),
    SegmentRule("Lost", r=(1, 1), f=(1, 2), description="rare and longest ago"),
)

SEGMENT_NAMES: tuple[str, ...] = tuple(rule.name for rule in SEGMENTS)


def check_bins(bins: int) -> int:
    """The number of score levels, refused outside 2-10."""
    if not isinstance(bins, int) or not MIN_BINS <= bins <= MAX_BINS:
        raise UserError(f"the number of score levels must be {MIN_BINS}-{MAX_BINS}, got {bins!r}")
    return bins


def to_scale(score: np.ndarray | int, bins: int) -> np.ndarray:
    """Scores 1..bins mapped to 1-5 (ceil(5 s / bins)), the scale the rules are written in."""
    s = np.asarray(score, dtype=np.int64)
    return -((-SCALE * s) // check_bins(bins))


def segment_of(r: int, f: int, orders: int, bins: int = SCALE) -> str:
    """The segment name of one customer (scores on 1..bins, purchase days >= 1)."""
    r5, f5 = int(to_scale(r, bins)), int(to_scale(f, bins))
    for rule in SEGMENTS:
        if rule.matches(r5, f5, orders):
            return rule.name
    raise UserError(f"no segment matches R={r}, F={f} with {orders} purchase days")


def assign_segments(
    r: np.ndarray, f: np.ndarray, orders: np.ndarray, bins: int = SCALE
) -> np.ndarray:
    """Vectorised :func:`segment_of`: one segment name per customer (object array)."""
    r5, f5 = to_scale(r, bins), to_scale(f, bins)
    n = np.asarray(orders, dtype=np.int64)
    conditions = []
    for rule in SEGMENTS:
        ok = (r5 >= rule.r[0]) & (r5 <= rule.r[1]) & (f5 >= rule.f[0]) & (f5 <= rule.f[1])
        ok &= n >= rule.orders[0]
        if rule.orders[1] is not None:
            ok &= n <= rule.orders[1]
        conditions.append(ok)
    names = np.select(conditions, list(SEGMENT_NAMES), default="")
    if (names == "").any():
        raise UserError("scores outside 1..bins cannot be given a segment")
    return names.astype(object)
