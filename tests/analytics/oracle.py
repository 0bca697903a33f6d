"""Brute-force reference implementations of the metric definitions (DESIGN.md), in plain
Python, for comparing the SQL results against on small data."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from fractions import Fraction

import numpy as np
import pandas as pd

from holdfast.analytics.calendar import period_index, period_label, periods_frame


def retention_oracle(
    purchases: pd.DataFrame, grain: str, window_days: int, as_of: dt.date
) -> pd.DataFrame:
    """S, E, N, retained ... per period straight from the definitions.

    ``purchases``: columns customer_id, order_date (date), amount.
    """
    days = purchases[purchases.order_date <= as_of]
    first = days.order_date.min()
    frame = periods_frame(first, as_of, grain)
    window = dt.timedelta(days=window_days)
    end_of_data = as_of + dt.timedelta(days=1)
    acquired = days.groupby("customer_id").order_date.min()

    def active(boundary: dt.date) -> set[str]:
        hit = days[(days.order_date >= boundary - window) & (days.order_date < boundary)]
        return set(hit.customer_id)

    rows = []
    for period in frame.itertuples():
        close = min(period.end, end_of_data)
        s, e = active(period.start), active(close)
        new = set(acquired[(acquired >= period.start) & (acquired < period.end)].index)
        inside = days[(days.order_date >= period.start) & (days.order_date < period.end)]
        per_buyer = inside.groupby("customer_id").size()
        retained = len(s & e)
        rows.append(
            {
                "period": period.period,
                "partial": period.partial,
                "customers_start": len(s),
                "customers_end": len(e),
                "new_customers": len(new),
                "retained": retained,
                "reactivated": len(e) - len(new) - retained,
                "lost": len(s) - retained,
                "buyers": int(per_buyer.size),
                "orders": len(inside),
                "revenue": float(inside.amount.sum()),
                "repeat_buyers": int((per_buyer >= 2).sum()),
            }
        )
    return pd.DataFrame(rows)


def headline_oracle(purchases: pd.DataFrame) -> dict:
    """The headline numbers of a purchases frame (customer_id, order_date, amount)."""
    per = purchases.groupby("customer_id").amount.agg(["size", "sum"])
    customers, orders, revenue = len(per), len(purchases), float(purchases.amount.sum())
    return {
        "customers": customers,
        "orders": orders,
        "revenue": revenue,
        "first_order": purchases.order_date.min() if orders else None,
        "last_order": purchases.order_date.max() if orders else None,
        "lifetime_repeat_rate": (per["size"] >= 2).mean() if customers else None,
        "average_order_value": revenue / orders if orders else None,
        "purchase_frequency": orders / customers if customers else None,
        "mean_historical_clv": revenue / customers if customers else None,
        "median_historical_clv": float(np.median(per["sum"])) if customers else None,
    }


#: Upper bounds (inclusive, in days) of the histogram buckets of days between purchases.
GAP_EDGES = (7, 14, 30, 60, 90, 180, 365)


def gaps_oracle(purchases: pd.DataFrame) -> list[int]:
    """Days between consecutive distinct purchase days of each customer."""
    gaps = []
    for _, days in purchases.groupby("customer_id").order_day:
        distinct = sorted(set(days))
        gaps += [b - a for a, b in itertools.pairwise(distinct)]
    return gaps


def gap_histogram_oracle(purchases: pd.DataFrame) -> list[int]:
    """Counts per bucket: 1-7, 8-14, ..., 181-365 days, then over 365."""
    counts = [0] * (len(GAP_EDGES) + 1)
    for gap in gaps_oracle(purchases):
        counts[sum(gap > edge for edge in GAP_EDGES)] += 1
    return counts


def cohort_oracle(
    purchases: pd.DataFrame, grain: str, first: dt.date, as_of: dt.date
) -> pd.DataFrame:
    """Cohort cells straight from the definition, one row per (cohort, age)."""
    days = purchases[(purchases.order_date >= first) & (purchases.order_date <= as_of)].copy()
    days["idx"] = [period_index(d, grain) for d in days.order_date]
    cohort_of = days.groupby("customer_id").idx.min()
    last = period_index(as_of, grain)
    rows = []
    for cohort, members in cohort_of.groupby(cohort_of):
        ids = set(members.index)
        mine = days[days.customer_id.isin(ids)]
        for age in range(last - cohort + 1):
            inside = mine[mine.idx == cohort + age]
            upto = mine[mine.idx <= cohort + age]
            rows.append(
                {
                    "cohort": period_label(cohort, grain),
                    "cohort_size": len(ids),
                    "age": age,
                    "active_share": inside.customer_id.nunique() / len(ids),
                    "revenue_per_member_cumulative": float(upto.amount.sum()) / len(ids),
                }
            )
    return pd.DataFrame(rows)


def lorenz_oracle(purchases: pd.DataFrame, points: int) -> np.ndarray:
    """Revenue share of the poorest x of customers at x = 0, 1/(points-1), ..., 1, reading the
    piecewise-linear curve through (k/n, share of the k smallest spenders)."""
    spend = np.sort(purchases.groupby("customer_id").amount.sum().to_numpy())
    n = len(spend)
    knots_x = np.arange(n + 1) / n
    knots_y = np.concatenate([[0.0], np.cumsum(spend)]) / spend.sum()
    return np.interp(np.linspace(0, 1, points), knots_x, knots_y)


def top_share_oracle(purchases: pd.DataFrame, share: float) -> float | None:
    """Revenue share of the round(share x n) biggest spenders (halves up, at least one)."""
    spend = np.sort(purchases.groupby("customer_id").amount.sum().to_numpy())[::-1]
    if len(spend) == 0:
        return None
    top = max(1, int(Fraction(str(share)) * len(spend) + Fraction(1, 2)))
    return float(spend[:top].sum() / spend.sum())


def tenure_oracle(
    purchases: pd.DataFrame, grain: str, first: dt.date, as_of: dt.date
) -> pd.DataFrame:
    """Customers, revenue and (customer, period) pairs per tenure band, by relativedelta."""
    from dateutil.relativedelta import relativedelta

    days = purchases[(purchases.order_date >= first) & (purchases.order_date <= as_of)].copy()
    start = days.groupby("customer_id").order_date.transform("min")
    days["idx"] = [period_index(d, grain) for d in days.order_date]
    acquired = [period_index(d, grain) for d in start]

    def band(order_date: dt.date, since: dt.date, idx: int, acquired_idx: int) -> int:
        if idx == acquired_idx:
            return 0
        delta = relativedelta(order_date, since)
        months = delta.years * 12 + delta.months
        return 1 + sum(months >= edge for edge in (3, 6, 12, 24))

    days["band"] = [
        band(*args) for args in zip(days.order_date, start, days.idx, acquired, strict=True)
    ]
    rows = []
    for b in range(6):
        inside = days[days.band == b]
        pairs = inside[["customer_id", "idx"]].drop_duplicates()
        rows.append(
            {
                "band_order": b,
                "customers": inside.customer_id.nunique(),
                "customer_periods": len(pairs),
                "revenue": float(inside.amount.sum()),
            }
        )
    return pd.DataFrame(rows)


def nps_oracle(scores: list[int]) -> dict:
    """NPS with its 95 % interval from the multinomial variance, in points."""
    n = len(scores)
    promoters = sum(s >= 9 for s in scores)
    detractors = sum(s <= 6 for s in scores)
    if n == 0:
        return {"responses": 0, "nps": None, "ci_low": None, "ci_high": None}
    p, d = promoters / n, detractors / n
    nps = 100 * (p - d)
    if n < 2:
        low = high = None
    else:
        half = 196 * math.sqrt((p + d - (p - d) ** 2) / n)
        low, high = max(-100.0, nps - half), min(100.0, nps + half)
    return {
        "responses": n,
        "promoters": promoters,
        "passives": n - promoters - detractors,
        "detractors": detractors,
        "nps": nps,
        "ci_low": low,
        "ci_high": high,
    }
