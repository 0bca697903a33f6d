"""One scoring frame per customer: RFM scores, segment, stage, model predictions, VIP flag.

Pure pandas/numpy on tables already fetched from the database (RFM values with scores, the
fitted model's predictions, the recommendations), so it is tested without a store.
"""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from holdfast.domain.lifecycle import lifecycle_stages
from holdfast.domain.segments import assign_segments
from holdfast.services.segments.options import ScoreOptions

#: Typical gap for one-time buyers when nobody bought twice (no rhythm to learn from).
FALLBACK_GAP_DAYS = 90.0

SCORE_COLUMNS = (
    "customer_id",
    "recency_days",
    "orders",
    "spend",
    "r_score",
    "f_score",
    "m_score",
    "segment",
    "stage",
    "p_alive",
    "expected_purchases",
    "predicted_value",
    "expected_next_order",
    "vip",
    "recommendations",
)


def _dates(values: pd.Series | dt.date) -> np.ndarray:
    if isinstance(values, dt.date):
        return np.datetime64(values, "D")
    return pd.to_datetime(values).to_numpy(dtype="datetime64[D]")


def _days(later: pd.Series | dt.date, earlier: pd.Series) -> np.ndarray:
    """Whole days between dates (NaN where one is missing)."""
    delta = _dates(later) - _dates(earlier)
    return np.where(np.isnat(delta), np.nan, delta.astype("int64")).astype(float)


def shop_gap(rfm: pd.DataFrame) -> float:
    """The median rhythm of the repeat buyers in days, :data:`FALLBACK_GAP_DAYS` without any."""
    repeat = rfm[rfm["orders"] > 1]
    if repeat.empty:
        return FALLBACK_GAP_DAYS
    gaps = _days(repeat["last_date"], repeat["first_date"]) / (repeat["orders"] - 1)
    return float(np.median(gaps)) or FALLBACK_GAP_DAYS


def vip_flags(key: np.ndarray, ids: np.ndarray, share: float) -> np.ndarray:
    """True for the top ceil(share * n) customers by ``key`` (ties broken by customer id)."""
    n = len(key)
    flags = np.zeros(n, dtype=bool)
    if n == 0:
        return flags
    # by id first (Arrow: UTF-8 byte order is code point order, as for str; numpy's lexsort
    # of a million Python strings takes seconds), then a stable sort by key keeps that order
    by_id = pc.sort_indices(pa.array(ids, pa.string())).to_numpy()
    best = -np.nan_to_num(np.asarray(key, dtype=float)[by_id], nan=-np.inf)
    order = by_id[np.argsort(best, kind="stable")]
    flags[order[: math.ceil(share * n)]] = True
    return flags


def recommendation_lists(recs: pd.DataFrame | None) -> pd.Series:
    """customer_id -> JSON list of product ids in rank order, built by Arrow (a Python
    aggregation per customer takes most of a minute for a million customers)."""
    if recs is None or recs.empty:
        return pd.Series(dtype=object)
    ordered = recs.sort_values(["customer_id", "rank"], kind="stable")
    products = ordered["product_id"].astype(str)
    quoted = products.map({p: json.dumps(p) for p in products.unique()})
    table = pa.table(
        {
            "customer_id": pa.array(ordered["customer_id"].astype(str).to_numpy(), pa.string()),
            "quoted": pa.array(quoted.to_numpy(), pa.string()),
        }
    )
    # one thread keeps each list in input (rank) order
    lists = table.group_by("customer_id", use_threads=False).aggregate([("quoted", "list")])
    joined = pc.binary_join(lists["quoted_list"], ", ")
    text = pc.binary_join_element_wise("[", joined, "]", "")
    return pd.Series(
        text.to_numpy(zero_copy_only=False),
        index=lists["customer_id"].to_numpy(zero_copy_only=False),
    )


def score_frame(
    rfm: pd.DataFrame,
    predictions: pd.DataFrame | None,
    recs: pd.DataFrame | None,
    *,
    as_of: dt.date,
    options: ScoreOptions,
) -> pd.DataFrame:
    """:data:`SCORE_COLUMNS` per customer of ``rfm`` (see :func:`holdfast.analytics.rfm`).

    ``predictions`` (or None when no model could be fitted): customer_id, p_alive,
    expected_purchases, predicted_clv, next_order_date. Without a model the VIPs are ranked by
    historical spend and the expected next order is the last purchase plus the own rhythm.
    """
    frame = rfm.reset_index(drop=True)
    ids = frame["customer_id"].astype(str).to_numpy()
    if predictions is not None:
        keep = ["customer_id", "p_alive", "expected_purchases", "predicted_clv", "next_order_date"]
        pred = predictions[keep].assign(customer_id=predictions["customer_id"].astype(str))
        frame = frame.assign(customer_id=ids).merge(pred, on="customer_id", how="left")
    first_days = _days(as_of, frame["first_date"])
    span = _days(frame["last_date"], frame["first_date"])
    previous = _days(frame["last_date"], frame["previous_date"])
    gap = shop_gap(frame)
    p_alive = None if predictions is None else frame["p_alive"].to_numpy(dtype=float)
    stages = lifecycle_stages(
        days_since_first=first_days,
        days_since_last=frame["recency_days"].to_numpy(dtype=float),
        orders=frame["orders"].to_numpy(),
        previous_gap=previous,
        p_alive=p_alive,
        shop_gap=gap,
        rules=options.rules,
    )
    orders = frame["orders"].to_numpy()
    segments = assign_segments(
        frame["r_score"].to_numpy(), frame["f_score"].to_numpy(), orders, options.bins
    )
    if predictions is None:
        rhythm = np.where(orders > 1, span / np.maximum(orders - 1, 1), gap)
        next_order = _dates(frame["last_date"]) + np.ceil(rhythm).astype("timedelta64[D]")
        value = np.full(len(frame), np.nan)
        expected = np.full(len(frame), np.nan)
        key = frame["spend"].to_numpy(dtype=float)
    else:
        next_order = _dates(frame["next_order_date"])
        value = frame["predicted_clv"].to_numpy(dtype=float)
        expected = frame["expected_purchases"].to_numpy(dtype=float)
        key = value if np.isfinite(value).any() else expected
    lists = recommendation_lists(recs)
    out = pd.DataFrame(
        {
            "customer_id": ids,
            "recency_days": frame["recency_days"].to_numpy(dtype=np.int64),
            "orders": orders.astype(np.int64),
            "spend": frame["spend"].to_numpy(dtype=float),
            "r_score": frame["r_score"].to_numpy(dtype=np.int64),
            "f_score": frame["f_score"].to_numpy(dtype=np.int64),
            "m_score": frame["m_score"].to_numpy(dtype=np.int64),
            "segment": segments,
            "stage": stages,
            "p_alive": np.full(len(frame), np.nan) if p_alive is None else p_alive,
            "expected_purchases": expected,
            "predicted_value": value,
            "expected_next_order": next_order,
            "vip": vip_flags(key, ids, options.vip_share),
            "recommendations": lists.reindex(ids).to_numpy(dtype=object),
        }
    )
    return out
