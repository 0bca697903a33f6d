"""The pure parts of a scoring run: VIP flags with ties, the shop's rhythm, recommendation lists
as JSON in rank order, and one frame by hand without a model."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd

from holdfast.services.segments.frame import (
    FALLBACK_GAP_DAYS,
    recommendation_lists,
    score_frame,
    shop_gap,
    vip_flags,
)
from holdfast.services.segments.options import ScoreOptions


def test_vip_flags_round_up_and_break_ties_by_id():
    key = np.array([5.0, 9.0, 9.0, np.nan, 1.0])
    ids = np.array(["e", "d", "c", "b", "a"], dtype=object)
    assert vip_flags(key, ids, 0.3).tolist() == [False, True, True, False, False]  # ceil(1.5)
    assert vip_flags(key, ids, 0.2).tolist() == [False, False, True, False, False]  # c < d
    assert vip_flags(np.array([]), np.array([], dtype=object), 0.5).tolist() == []


def test_shop_gap_is_the_median_rhythm():
    rfm = pd.DataFrame(
        {
            "first_date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-01"]),
            "last_date": pd.to_datetime(["2024-01-21", "2024-03-01", "2024-01-01"]),
            "orders": [3, 2, 1],
        }
    )
    assert shop_gap(rfm) == (10 + 60) / 2
    assert shop_gap(rfm[rfm["orders"] == 1]) == FALLBACK_GAP_DAYS


def test_recommendation_lists_in_rank_order_as_json():
    recs = pd.DataFrame(
        {
            "customer_id": ["b", "a", "a", "a", "b"],
            "rank": [2, 3, 1, 2, 1],
            "product_id": ["x", 'é"q', "y", "z", "w"],
        }
    )
    lists = recommendation_lists(recs)
    assert {k: json.loads(v) for k, v in lists.items()} == {"a": ["y", "z", 'é"q'], "b": ["w", "x"]}
    assert recommendation_lists(None).empty


def test_a_frame_without_a_model():
    as_of = dt.date(2024, 3, 31)
    rfm = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "first_date": pd.to_datetime(["2024-01-01", "2024-03-20"]),
            "last_date": pd.to_datetime(["2024-03-01", "2024-03-20"]),
            "previous_date": pd.to_datetime(["2024-01-31", None]),
            "orders": [3, 1],
            "spend": [90.0, 20.0],
            "recency_days": [30, 11],
            "r_score": [2, 4],
            "f_score": [4, 2],
            "m_score": [4, 2],
        }
    )
    recs = pd.DataFrame({"customer_id": ["b"], "rank": [1], "product_id": ["p1"]})
    got = score_frame(rfm, None, recs, as_of=as_of, options=ScoreOptions(vip_share=0.5))
    # a: rhythm 30 days, silent 30 -> active, next order 2024-03-31; b: new (11 days old)
    assert got["stage"].tolist() == ["active", "new"]
    assert got["segment"].tolist() == ["At risk", "Promising"]
    assert got["vip"].tolist() == [True, False]  # by spend without a model
    assert pd.to_datetime(got["expected_next_order"]).dt.strftime("%Y-%m-%d").tolist() == [
        "2024-03-31",
        "2024-04-19",  # b borrows a's 30-day rhythm
    ]
    assert got["p_alive"].isna().all() and got["predicted_value"].isna().all()
    assert pd.isna(got["recommendations"].iloc[0]) and got["recommendations"].iloc[1] == '["p1"]'
