"""Constants and an independent pandas oracle for the fit tests (imported by name, like
tests/models/model_sim.py)."""

from __future__ import annotations

import contextlib
import datetime as dt
import warnings
from collections.abc import Iterator

import pandas as pd
from pandas.errors import Pandas4Warning

#: The CDNOW sample has no header: its column names, customers are sample ids.
SAMPLE_FLAGS = ("--columns", "master_id,customer_id,date,cds,amount")
CALIBRATION_END = dt.date(1997, 9, 30)
HOLDOUT_END = dt.date(1998, 6, 30)


@contextlib.contextmanager
def lifetimes_quiet() -> Iterator[None]:
    """lifetimes 0.11.3 predates pandas 3: ignore exactly its removed-option warning."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="The 'mode.chained_assignment' option", category=Pandas4Warning
        )
        yield


def oracle_summary(raw: pd.DataFrame, as_of: dt.date, unit: float = 7.0) -> pd.DataFrame:
    """frequency, recency, T, monetary_value per customer up to ``as_of``, in pandas: same-day
    purchases merged, dates inclusive (the README's recipe), indexed by customer_id."""
    days = raw[raw["date"] <= as_of].groupby(["customer_id", "date"], as_index=False)["amount"]
    days = days.sum().sort_values(["customer_id", "date"])
    grouped = days.groupby("customer_id")
    first, last = grouped["date"].min(), grouped["date"].max()
    x = grouped["date"].count() - 1
    repeat = grouped["amount"].sum() - grouped["amount"].first()
    return pd.DataFrame(
        {
            "frequency": x,
            "recency": [(b - a).days / unit for a, b in zip(first, last, strict=True)],
            "T": [(as_of - a).days / unit for a in first],
            "monetary_value": (repeat / x.where(x > 0)).fillna(0.0),
        }
    )
