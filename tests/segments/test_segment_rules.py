"""The named segments as data: hand-picked customers, every cell covered once, other scales."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from holdfast.domain.segments import (
    SEGMENT_NAMES,
    SEGMENTS,
    assign_segments,
    check_bins,
    segment_of,
    to_scale,
)
from holdfast.errors import UserError


@pytest.mark.parametrize(
    ("r", "f", "orders", "name"),
    [
        (5, 5, 9, "Champions"),
        (5, 3, 1, "New"),  # one purchase outranks the F score (ties put one-timers mid-scale)
        (4, 2, 1, "Promising"),
        (3, 1, 1, "Need attention"),
        (4, 4, 4, "Loyal"),
        (3, 5, 7, "Loyal"),
        (5, 2, 2, "Potential loyalists"),
        (4, 3, 2, "Potential loyalists"),
        (3, 3, 2, "Need attention"),
        (2, 5, 12, "Can't lose them"),
        (1, 5, 12, "Can't lose them"),
        (2, 3, 3, "At risk"),
        (1, 4, 5, "At risk"),
        (2, 2, 2, "Hibernating"),
        (2, 1, 1, "Hibernating"),
        (1, 1, 1, "Lost"),
        (1, 2, 2, "Lost"),
    ],
)
def test_segments_by_hand(r, f, orders, name):
    assert segment_of(r, f, orders) == name


def test_the_ten_segments_of_the_issue():
    assert set(SEGMENT_NAMES) == {
        "Champions",
        "Loyal",
        "Potential loyalists",
        "New",
        "Promising",
        "Need attention",
        "At risk",
        "Can't lose them",
        "Hibernating",
        "Lost",
    }


def test_every_cell_has_exactly_one_first_match():
    for r, f, orders in itertools.product(range(1, 6), range(1, 6), (1, 2, 30)):
        matching = [rule.name for rule in SEGMENTS if rule.matches(r, f, orders)]
        assert matching, (r, f, orders)


def test_vectorised_equals_scalar():
    grid = np.array(list(itertools.product(range(1, 8), range(1, 8), (1, 2, 5))))
    got = assign_segments(grid[:, 0], grid[:, 1], grid[:, 2], bins=7)
    want = [segment_of(int(r), int(f), int(n), bins=7) for r, f, n in grid]
    assert got.tolist() == want


def test_scales_map_to_five_levels():
    assert to_scale(np.arange(1, 6), 5).tolist() == [1, 2, 3, 4, 5]
    assert to_scale(np.arange(1, 4), 3).tolist() == [2, 4, 5]
    assert to_scale(np.arange(1, 11), 10).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert segment_of(3, 3, 4, bins=3) == "Champions"  # 3 of 3 is 5 of 5
    with pytest.raises(UserError, match="2-10"):
        check_bins(11)


def test_scores_off_the_scale_are_refused():
    with pytest.raises(UserError, match="outside"):
        assign_segments(np.array([0]), np.array([1]), np.array([1]))
