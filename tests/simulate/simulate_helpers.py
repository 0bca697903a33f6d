"""Column helpers for the simulator tests."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def cents(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A decimal(18, 2) column as int64 cents."""
    return np.rint(pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False) * 100).astype(
        np.int64
    )


def micros(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A UTC timestamp column as int64 microseconds (nulls as -1)."""
    return pc.fill_null(pc.cast(column, pa.int64()), -1).to_numpy(zero_copy_only=False)
