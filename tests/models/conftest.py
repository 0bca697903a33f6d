"""Fixtures for the model tests: the CDNOW reference data and lifetimes as a test-only oracle."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from pandas.errors import Pandas4Warning

CALIBRATION_END = pd.Timestamp("1997-09-30")
HOLDOUT_END = pd.Timestamp("1998-06-30")


@contextlib.contextmanager
def lifetimes_quiet() -> Iterator[None]:
    """lifetimes 0.11.3 predates pandas 3: it sets a removed pandas option when imported and
    resets warning filters inside its likelihoods. Ignore exactly those, and restore filters."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="The 'mode.chained_assignment' option", category=Pandas4Warning
        )
        yield


@pytest.fixture(scope="session")
def lifetimes():
    """The lifetimes package (oracle only; never imported by holdfast)."""
    with lifetimes_quiet():
        import lifetimes as lt
        import lifetimes.datasets  # load_donations
    return lt


@pytest.fixture(scope="session")
def cdnow_published(shared_data: Path) -> pd.DataFrame:
    """The published calibration summary (ID, x, t_x, T, zbar; t_x and T rounded to 0.01)."""
    return pd.read_csv(shared_data / "cdnow" / "cdnow_customers_summary_with_transactions.csv")


@pytest.fixture(scope="session")
def cdnow_transactions(shared_data: Path) -> pd.DataFrame:
    """CDNOW_sample.txt: one row per transaction (sample_id, date, amount)."""
    raw = pd.read_csv(
        shared_data / "cdnow" / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["customer", "sample_id", "date", "cds", "amount"],
    )
    raw["date"] = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d")
    return raw


@pytest.fixture(scope="session")
def cdnow(cdnow_transactions: pd.DataFrame) -> SimpleNamespace:
    """Exact weekly summary rebuilt from the raw transactions with pandas (an oracle independent
    of holdfast.analytics): same-day purchases merged, calibration to 1997-09-30 inclusive."""
    days = cdnow_transactions.groupby(["sample_id", "date"], as_index=False)["amount"].sum()
    cal = days[days["date"] <= CALIBRATION_END]
    grouped = cal.groupby("sample_id")
    first, last = grouped["date"].min(), grouped["date"].max()
    x = (grouped["date"].count() - 1).to_numpy(float)
    repeat_amount = grouped["amount"].sum() - cal.loc[grouped["date"].idxmin(), "amount"].values
    hold = days[(days["date"] > CALIBRATION_END) & (days["date"] <= HOLDOUT_END)]
    x_hold = hold.groupby("sample_id").size().reindex(first.index, fill_value=0)
    return SimpleNamespace(
        id=first.index.to_numpy(),
        x=x,
        t_x=((last - first).dt.days / 7.0).to_numpy(),
        T=((CALIBRATION_END - first).dt.days / 7.0).to_numpy(),
        zbar=np.where(x > 0, repeat_amount.to_numpy() / np.maximum(x, 1), 0.0),
        x_holdout=x_hold.to_numpy(float),
        duration_holdout=(HOLDOUT_END - CALIBRATION_END).days / 7.0,
        first=first,
    )
