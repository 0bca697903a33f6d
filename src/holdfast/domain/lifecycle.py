"""Lifecycle stages at a date, from each customer's own rhythm and P(alive), or one global window.

Personal rule (the default). A customer's rhythm is their mean gap between purchase days,
(last - first) / (purchase days - 1); one-time buyers borrow the shop's typical gap. Their
expected next order is the last purchase plus that gap. Silent for ``at_risk_gaps`` gaps or more
(overdue by one whole rhythm past the expected date, with the default 2) they are at risk, for
``lapsed_gaps`` lapsed, for ``churned_gaps`` churned; P(alive) below ``at_risk_p``, ``lapsed_p``
or ``churned_p`` gives at least that stage, whichever signal is worse wins. A fortnightly buyer
silent for six weeks (3 gaps) is at risk; a yearly buyer silent for six weeks is active.

Global rule (``window_days`` = W): at risk after W / 2 days of silence, lapsed after W, churned
after 2 W, whoever the customer is; P(alive) is not used.

Both: a first purchase less than ``new_days`` ago makes a customer new; an active customer whose
last gap was long enough to have lapsed them (personal: ``lapsed_gaps`` of their earlier rhythm;
global: W) is reactivated.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from holdfast.errors import UserError

NEW, ACTIVE, AT_RISK, LAPSED, CHURNED, REACTIVATED = (
    "new",
    "active",
    "at risk",
    "lapsed",
    "churned",
    "reactivated",
)
STAGES: tuple[str, ...] = (NEW, ACTIVE, REACTIVATED, AT_RISK, LAPSED, CHURNED)
#: Stage of a customer who had not bought yet at the earlier date of a transition table.
NOT_YET = "not yet a customer"
_BY_SEVERITY = np.array([ACTIVE, AT_RISK, LAPSED, CHURNED], dtype=object)


@dataclass(frozen=True)
class StageRules:
    """Thresholds of the stage rules (module doc); ``window_days`` switches to the global rule."""

    new_days: int = 30
    at_risk_gaps: float = 2.0
    lapsed_gaps: float = 4.0
    churned_gaps: float = 8.0
    at_risk_p: float = 0.5
    lapsed_p: float = 0.2
    churned_p: float = 0.05
    window_days: int | None = None

    def checked(self) -> StageRules:
        """These rules, or a UserError naming the threshold out of order."""
        if self.new_days < 0:
            raise UserError(f"new_days must be 0 or more, got {self.new_days}")
        if not 0 < self.at_risk_gaps <= self.lapsed_gaps <= self.churned_gaps:
            raise UserError("the gap thresholds must grow: 0 < at risk <= lapsed <= churned")
        if not 0 <= self.churned_p <= self.lapsed_p <= self.at_risk_p <= 1:
            raise UserError("the P(alive) thresholds must fall: 1 >= at risk >= lapsed >= churned")
        if self.window_days is not None and self.window_days < 2:
            raise UserError(f"the global window must be at least 2 days, got {self.window_days}")
        return self


def _severity(silent: np.ndarray, limits: tuple[np.ndarray | float, ...]) -> np.ndarray:
    level = np.zeros(silent.shape, dtype=np.int64)
    for limit in limits:
        level += (silent >= limit).astype(np.int64)
    return level


def lifecycle_stages(
    *,
    days_since_first: np.ndarray,
    days_since_last: np.ndarray,
    orders: np.ndarray,
    previous_gap: np.ndarray,
    p_alive: np.ndarray | None = None,
    shop_gap: float,
    rules: StageRules | None = None,
) -> np.ndarray:
    """The stage of each customer at one date (an object array of :data:`STAGES` names).

    ``days_since_first``/``days_since_last``: days from the first/last purchase day to the date;
    ``orders``: purchase days; ``previous_gap``: days between the last two purchase days (NaN
    for one-time buyers); ``p_alive``: the model's P(alive) (None or NaN: rhythm only);
    ``shop_gap``: the typical gap in days for customers without a rhythm of their own.
    """
    rules = (rules or StageRules()).checked()
    if not shop_gap > 0:
        raise UserError(f"the shop's typical gap must be positive, got {shop_gap!r}")
    first = np.asarray(days_since_first, dtype=float)
    silent = np.asarray(days_since_last, dtype=float)
    n = np.asarray(orders, dtype=np.int64)
    last_gap = np.asarray(previous_gap, dtype=float)
    if rules.window_days is not None:
        w = float(rules.window_days)
        level = _severity(silent, (w / 2, w, 2 * w))
        came_back = last_gap >= w
    else:
        span = first - silent
        gap = np.where(n > 1, span / np.maximum(n - 1, 1), shop_gap)
        gap = np.where(gap > 0, gap, shop_gap)
        level = _severity(
            silent,
            tuple(g * gap for g in (rules.at_risk_gaps, rules.lapsed_gaps, rules.churned_gaps)),
        )
        if p_alive is not None:
            p = np.asarray(p_alive, dtype=float)
            by_p = np.zeros(p.shape, dtype=np.int64)
            for limit in (rules.at_risk_p, rules.lapsed_p, rules.churned_p):
                by_p += (p < limit).astype(np.int64)  # NaN compares False: no signal
            level = np.maximum(level, by_p)
        earlier = np.where(n > 2, (span - last_gap) / np.maximum(n - 2, 1), shop_gap)
        earlier = np.where(earlier > 0, earlier, shop_gap)
        came_back = last_gap >= rules.lapsed_gaps * earlier
    stages = _BY_SEVERITY[level]
    stages = np.where((level == 0) & came_back, REACTIVATED, stages)
    return np.where(first < rules.new_days, NEW, stages).astype(object)


def transition_counts(
    before: Iterable[tuple[object, str]], after: Iterable[tuple[object, str]]
) -> dict[tuple[str, str], int]:
    """How many customers went from each stage to each other between two dates.

    ``before``/``after``: (customer, stage) pairs. A customer missing at the earlier date comes
    from :data:`NOT_YET`; one missing at the later date is not counted.
    """
    earlier = dict(before)
    return dict(Counter((earlier.get(who, NOT_YET), stage) for who, stage in after))
