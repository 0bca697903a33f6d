"""A small hand-made ReportData: six months of a shop, January without customers at its start
(undefined rates) and June partial (the data ends on 17 June 1997)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from holdfast.report import ReportData

MONTHS = ["1997-01", "1997-02", "1997-03", "1997-04", "1997-05", "1997-06"]
# S, N, retained, reactivated per month; E = retained + reactivated + N, lost = S - retained.
FLOWS = [
    (0, 700, 0, 0),
    (700, 350, 600, 0),
    (950, 260, 820, 20),
    (1100, 230, 930, 44),
    (1204, 150, 1011, 57),
    (1218, 40, 1100, 10),
]
BUYERS = [700, 520, 610, 640, 690, 300]
ORDERS = [820, 600, 720, 760, 800, 320]
# February's revenue and repeat rate carry float noise on purpose (31020.300000000003 and
# 0.30000000000000004).
REVENUE = [24600.0, 3 * 10340.1, 22320.55, 23180.0, 25600.0, 9920.0]
REPEAT = [0.12, 0.1 + 0.2, 0.13, 0.14, 0.12, 0.05]


def periods() -> pd.DataFrame:
    rows = []
    for i, (label, (s, n, kept, back)) in enumerate(zip(MONTHS, FLOWS, strict=True)):
        e, lost = kept + back + n, s - kept
        start = dt.date(1997, i + 1, 1)
        end = dt.date(1997, i + 2, 1)
        rows.append(
            {
                "period": label,
                "start": start,
                "end": end,
                "partial": label == "1997-06",
                "customers_start": s,
                "customers_end": e,
                "new_customers": n,
                "retained": kept,
                "reactivated": back,
                "lost": lost,
                "crr": (e - n) / s if s else np.nan,
                "exact_retention": kept / s if s else np.nan,
                "churn_rate": lost / s if s else np.nan,
                "buyers": BUYERS[i],
                "orders": ORDERS[i],
                "revenue": REVENUE[i],
                "average_order_value": REVENUE[i] / ORDERS[i],
                "purchase_frequency": ORDERS[i] / BUYERS[i],
                "repeat_rate": REPEAT[i],
            }
        )
    return pd.DataFrame(rows)


def cohorts() -> pd.DataFrame:
    rows = []
    for i, (label, (_, n, _, _)) in enumerate(zip(MONTHS, FLOWS, strict=True)):
        spent = 0.0
        for age in range(len(MONTHS) - i):
            share = 1.0 if age == 0 else 0.32 * 0.85 ** (age - 1)
            spent += share * 31.5
            rows.append(
                {
                    "cohort": label,
                    "cohort_size": n,
                    "age": age,
                    "active_share": share,
                    "revenue_per_member_cumulative": spent,
                }
            )
    return pd.DataFrame(rows)


def concentration() -> pd.DataFrame:
    share = np.linspace(0, 1, 101)
    return pd.DataFrame({"customer_share": share, "revenue_share": share**4})


def tenure() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "tenure_band": ["0–1 months", "1–2 months", "2–3 months", "3–6 months"],
            "customers": [190, 380, 490, 730],
            "revenue": [5890.0, 14060.0, 20335.0, 40150.0],
            "spend_per_customer": [31.0, 37.0, 41.5, 55.0],
        }
    )


def days_between() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "bucket": ["0–7", "8–14", "15–30", "31–60", "61–90", "91–180"],
            "count": [310, 420, 655, 480, 190, 75],
        }
    )


def nps() -> pd.DataFrame:
    promoters = np.array([30, 41, 38, 50, 46, 12])
    passives = np.array([20, 22, 25, 21, 24, 8])
    detractors = np.array([14, 17, 15, 12, 16, 6])
    responses = promoters + passives + detractors
    score = 100 * (promoters - detractors) / responses
    half = 196 / np.sqrt(responses)
    return pd.DataFrame(
        {
            "period": MONTHS,
            "responses": responses,
            "promoters": promoters,
            "passives": passives,
            "detractors": detractors,
            "nps": score,
            "ci_low": score - half,
            "ci_high": score + half,
        }
    )


def meta(**changes: Any) -> dict[str, Any]:
    base = {
        "title": "Acme Tea: retention",
        "source": "exports/orders.csv",
        "generated_at": dt.datetime(1997, 6, 18, 9, 30, tzinfo=dt.UTC),
        "as_of": dt.date(1997, 6, 17),
        "period": "month",
        "active_window_days": 90,
        "timezone": "Europe/Berlin",
        "currency": "EUR",
        "holdfast_version": "0.1.0",
    }
    return {**base, **changes}


def summary(with_nps: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "customers": 1730,
        "orders": 4020,
        "revenue": 136620.85,
        "first_order": dt.date(1997, 1, 1),
        "last_order": dt.date(1997, 6, 17),
        "lifetime_repeat_rate": 0.4123,
        "average_order_value": 136620.85 / 4020,
        "purchase_frequency": 4020 / 1730,
        "mean_historical_clv": 136620.85 / 1730,
        "median_historical_clv": 52.4,
        "days_between_orders_q1": 11.0,
        "median_days_between_orders": 24.5,
        "days_between_orders_q3": 49.0,
        "top20_revenue_share": 1 - 0.8**4,
    }
    if with_nps:
        out.update(nps=31.25, nps_responses=474, nps_ci_low=24.1, nps_ci_high=38.4)
    return out


def sample(with_nps: bool = True, **meta_changes: Any) -> ReportData:
    """The sample report (``meta_changes`` override meta fields)."""
    return ReportData(
        meta=meta(**meta_changes),
        summary=summary(with_nps),
        periods=periods(),
        cohorts=cohorts(),
        concentration=concentration(),
        tenure=tenure(),
        days_between_orders=days_between(),
        nps=nps() if with_nps else None,
    )
