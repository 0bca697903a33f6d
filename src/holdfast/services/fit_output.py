"""Write a fit's per-customer predictions (CSV or Parquet) and its models (JSON).

Each file is written under a temporary name and renamed into place, so a reader never sees
half a file and a failed write leaves nothing behind.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from holdfast.errors import UserError
from holdfast.services.fitting import PREDICTION_COLUMNS, FitOutcome

PREDICTION_FORMATS = (".csv", ".parquet")


#: The Arrow types of the prediction columns (every other column is float64).
PREDICTION_TYPES = {
    "customer_id": pa.string(),
    "frequency": pa.int64(),
    "next_order_date": pa.date32(),
}


def predictions_table(predictions: pd.DataFrame) -> pa.Table:
    """The predictions as Arrow with a fixed schema: ids as strings, ``next_order_date`` as a
    date (empty where none), numbers as float64; no pandas metadata."""
    columns = {}
    for name in PREDICTION_COLUMNS:
        kind = PREDICTION_TYPES.get(name, pa.float64())
        values = pa.array(predictions[name], from_pandas=True)
        if name == "next_order_date":
            values = values.cast(pa.timestamp("s"))
        columns[name] = values.cast(kind)
    return pa.table(columns)


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    partial = path.with_name(f".{path.name}.part")
    try:
        write(partial)
        os.replace(partial, path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise UserError(f"cannot write {path}: {error.strerror or error}") from None


def write_predictions(predictions: pd.DataFrame, path: Path) -> Path:
    """Write one row per customer to ``path`` (.csv or .parquet, by its suffix)."""
    suffix = path.suffix.lower()
    if suffix not in PREDICTION_FORMATS:
        raise UserError(
            f"cannot write predictions to {path.name}: the file must end in .csv or .parquet"
        )
    table = predictions_table(predictions)
    if suffix == ".csv":
        _atomic(path, lambda target: pacsv.write_csv(table, target))
    else:
        _atomic(path, lambda target: pq.write_table(table, target))
    return path


def _finite(value: object) -> object:
    """NaN and infinities as null, all the way down (strict JSON)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def write_models(outcome: FitOutcome, path: Path) -> Path:
    """Write the fitted models' parameters, errors and diagnostics as JSON (never pickle)."""
    document = {
        "as_of": outcome.as_of.isoformat(),
        "unit": outcome.options.unit,
        "diagnostics": outcome.diagnostics,
        **outcome.models(),
    }
    text = json.dumps(_finite(document), indent=2, allow_nan=False) + "\n"
    _atomic(path, lambda target: target.write_text(text, encoding="utf-8"))
    return path
