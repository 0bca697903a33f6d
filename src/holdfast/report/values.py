"""Machine values: each field turned into a plain JSON/CSV value by its kind.

NaN becomes None (null), dates ISO strings, counts ints, and floats are rounded by kind so a
document never shows 0.30000000000000004: shares to 6 decimals, money to the currency's minor
unit, NPS points to 2 decimals, other numbers to 4.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from holdfast.report.data import Columns, is_missing
from holdfast.report.fmt import money_digits

_DIGITS = {"rate": 6, "points": 2, "number": 4}


def plain(value: Any, kind: str, currency: str | None = None) -> Any:
    """One value as JSON-safe Python (None, bool, int, float or str)."""
    if is_missing(value):
        return None
    if kind == "int":
        return int(value)
    if kind == "bool":
        return bool(value)
    if kind in _DIGITS or kind == "money":
        digits = money_digits(currency) if kind == "money" else _DIGITS[kind]
        number = round(float(value), digits)
        return number + 0.0  # folds -0.0 into 0.0
    if kind == "date":
        return _as_date(value).isoformat()
    if kind == "datetime":
        stamp = pd.Timestamp(value).to_pydatetime()
        return stamp.isoformat(timespec="seconds")
    return str(value)


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()


def record(values: dict[str, Any], fields: Columns, currency: str | None) -> dict[str, Any]:
    """A dict with exactly ``fields``, in their order, as plain values."""
    return {name: plain(values.get(name), kind, currency) for name, kind in fields}


def records(frame: pd.DataFrame, columns: Columns, currency: str | None) -> list[dict[str, Any]]:
    """The rows of ``frame`` as plain dicts holding exactly ``columns``, in their order."""
    names = [name for name, _ in columns]
    return [
        record(dict(zip(names, row, strict=True)), columns, currency)
        for row in frame[names].itertuples(index=False, name=None)
    ]


def plain_frame(frame: pd.DataFrame, columns: Columns, currency: str | None) -> pd.DataFrame:
    """``frame`` cut to ``columns`` with every value made plain (for CSV: same values as JSON)."""
    rows = records(frame, columns, currency)
    names = [name for name, _ in columns]
    out = pd.DataFrame(rows, columns=names)
    for name, kind in columns:
        if kind == "int":
            out[name] = out[name].astype("int64")
        elif kind in ("rate", "money", "number", "points"):
            out[name] = out[name].astype("float64")
    return out
