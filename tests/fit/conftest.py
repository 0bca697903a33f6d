"""Fixtures for the fit service, CLI and report section: the CDNOW sample as a file and as
pandas rows, and lifetimes as a test-only oracle (helpers in fit_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from fit_helpers import lifetimes_quiet


@pytest.fixture(scope="session")
def lifetimes():
    """The lifetimes package (oracle only; never imported by holdfast)."""
    with lifetimes_quiet():
        import lifetimes as lt
    return lt


@pytest.fixture(scope="session")
def cdnow_sample(shared_data: Path) -> Path:
    """CDNOW_sample.txt: 6,919 transactions of 2,357 customers (README beside it)."""
    return shared_data / "cdnow" / "CDNOW_sample.txt"


@pytest.fixture(scope="session")
def cdnow_raw(cdnow_sample: Path) -> pd.DataFrame:
    """The sample's transactions read with pandas (customer_id: the sample id, as text)."""
    raw = pd.read_csv(
        cdnow_sample,
        sep=r"\s+",
        header=None,
        names=["master", "customer_id", "date", "cds", "amount"],
        dtype={"master": str, "customer_id": str},
    )
    raw["date"] = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d").dt.date
    return raw
