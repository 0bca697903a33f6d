"""Lifecycle stage rules at their edges, the personal rule against the global window, and the
transition count between two dates."""

from __future__ import annotations

import math

import numpy as np
import pytest

from holdfast.domain.lifecycle import NOT_YET, StageRules, lifecycle_stages, transition_counts
from holdfast.errors import UserError

GLOBAL_90 = StageRules(window_days=90)


def stage(*, gap, silent, orders=5, last_gap=None, p=None, rules=None, shop_gap=30.0, first=None):
    """One customer with ``orders`` purchase days every ``gap`` days, silent since the last."""
    span = gap * (orders - 1)
    last_gap = (gap if orders > 1 else math.nan) if last_gap is None else last_gap
    got = lifecycle_stages(
        days_since_first=np.array([span + silent if first is None else first]),
        days_since_last=np.array([silent]),
        orders=np.array([orders]),
        previous_gap=np.array([last_gap]),
        p_alive=None if p is None else np.array([p]),
        shop_gap=shop_gap,
        rules=rules,
    )
    return got[0]


def test_fortnightly_buyer_silent_six_weeks_is_at_risk_personally_not_globally():
    assert stage(gap=14, silent=42, orders=11) == "at risk"
    assert stage(gap=14, silent=42, orders=11, rules=GLOBAL_90) == "active"


def test_yearly_buyer_silent_six_weeks_is_active():
    assert stage(gap=365, silent=42) == "active"
    # the global window is not alarmed either, but calls every yearly order a comeback
    assert stage(gap=365, silent=42, rules=GLOBAL_90) == "reactivated"


def test_yearly_buyer_silent_200_days_is_active_personally_churned_globally():
    assert stage(gap=365, silent=200) == "active"
    assert stage(gap=365, silent=200, rules=GLOBAL_90) == "churned"


@pytest.mark.parametrize(
    ("silent", "want"),
    [
        (27, "active"),
        (28, "at risk"),
        (55, "at risk"),
        (56, "lapsed"),
        (111, "lapsed"),
        (112, "churned"),
    ],
)
def test_gap_edges(silent, want):
    # gap 14: at risk from 2 gaps (28 days), lapsed from 4 (56), churned from 8 (112)
    assert stage(gap=14, silent=silent) == want


@pytest.mark.parametrize(
    ("p", "want"),
    [
        (0.5, "active"),
        (0.4999, "at risk"),
        (0.2, "at risk"),
        (0.1999, "lapsed"),
        (0.05, "lapsed"),
        (0.0499, "churned"),
        (math.nan, "active"),
    ],
)
def test_p_alive_edges(p, want):
    assert stage(gap=14, silent=1, p=p) == want


def test_the_worse_signal_wins():
    assert stage(gap=14, silent=60, p=0.9) == "lapsed"  # rhythm says lapsed
    assert stage(gap=365, silent=10, p=0.01) == "churned"  # the model says churned


@pytest.mark.parametrize(("first", "want"), [(0, "new"), (29, "new"), (30, "active")])
def test_new_edge(first, want):
    assert stage(gap=0, silent=0, orders=1, first=first) == want


def test_new_wins_over_everything():
    assert stage(gap=5, silent=20, orders=2, first=25, p=0.01) == "new"


def test_one_time_buyers_use_the_shop_gap():
    assert stage(gap=0, silent=59, orders=1, shop_gap=30.0) == "active"
    assert stage(gap=0, silent=60, orders=1, shop_gap=30.0) == "at risk"
    assert stage(gap=0, silent=240, orders=1, shop_gap=30.0) == "churned"


def test_reactivated_edge():
    # gaps 10, 10, 10 then 40 (four earlier gaps): came back from lapsed
    assert stage(gap=10, silent=5, orders=5, last_gap=40, first=75) == "reactivated"
    assert stage(gap=10, silent=5, orders=5, last_gap=39, first=74) == "active"
    # back, but overdue again: the current stage wins
    assert stage(gap=10, silent=60, orders=5, last_gap=40, first=130) == "at risk"


def test_reactivated_globally():
    assert stage(gap=10, silent=5, last_gap=90, first=125, rules=GLOBAL_90) == "reactivated"
    assert stage(gap=10, silent=5, last_gap=89, first=124, rules=GLOBAL_90) == "active"


def test_rules_are_checked():
    with pytest.raises(UserError, match="grow"):
        stage(gap=14, silent=1, rules=StageRules(at_risk_gaps=5, lapsed_gaps=4))
    with pytest.raises(UserError, match="fall"):
        stage(gap=14, silent=1, rules=StageRules(at_risk_p=0.1, lapsed_p=0.2))
    with pytest.raises(UserError, match="shop's typical gap"):
        stage(gap=14, silent=1, shop_gap=0.0)


def test_transition_counts():
    before = [("a", "active"), ("b", "active"), ("c", "at risk"), ("gone", "lapsed")]
    after = [("a", "at risk"), ("b", "active"), ("c", "at risk"), ("d", "new")]
    assert transition_counts(before, after) == {
        ("active", "at risk"): 1,
        ("active", "active"): 1,
        ("at risk", "at risk"): 1,
        (NOT_YET, "new"): 1,
    }
