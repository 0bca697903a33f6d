"""Input checks for the model fitters: bad values raise InputError listing the offending rows.

Every check reports all problems it finds (up to :data:`MAX_LISTED` examples plus a count),
naming the row index, the column and the value, so a caller can fix the data in one pass.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from holdfast.errors import FitWarning, InputError, Problem

#: How many offending rows an error lists before it says "... and N more".
MAX_LISTED = 10

#: recency may exceed T by this share of T (rounding in exported summaries); it is then set to T.
RECENCY_ROUNDING = 1e-3


def as_column(name: str, values: object, *, length: int | None = None) -> np.ndarray:
    """A 1-D float64 array from ``values``, refusing NaN, infinities and ragged lengths."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise InputError(f"{name} must be numbers: {error}") from None
    if array.ndim == 0:
        array = array.reshape(1)
    if array.ndim != 1:
        raise InputError(f"{name} must be one-dimensional, got shape {array.shape}")
    if length is not None and array.shape[0] != length:
        raise InputError(f"{name} has {array.shape[0]} values but the first column has {length}")
    bad = ~np.isfinite(array)
    if bad.any():
        raise_rows(f"{name} must be finite numbers", name, np.flatnonzero(bad), array, "not finite")
    return array


def raise_rows(
    message: str, column: str, rows: np.ndarray, values: np.ndarray, reason: str
) -> None:
    """Raise an InputError listing the first offending ``rows`` of ``column``."""
    issues = Issues()
    issues.add(message, column, rows, values, reason)
    issues.raise_if_any()


class Issues:
    """Collects bad rows from several checks, to report every problem in one InputError."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.problems: list[Problem] = []
        self.total = 0

    def add(
        self, message: str, column: str, rows: np.ndarray, values: np.ndarray, reason: str
    ) -> None:
        if rows.size == 0:
            return
        self.messages.append(f"{message} ({rows.size} row(s))")
        room = max(MAX_LISTED - len(self.problems), 0)
        self.problems += [
            Problem(reason=reason, row=int(i), column=column, value=_plain(values[i]))
            for i in rows[:room]
        ]
        self.total += int(rows.size)

    def raise_if_any(self) -> None:
        if self.total:
            raise InputError("; ".join(self.messages), self.problems, total=self.total)


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def check_nonnegative(name: str, array: np.ndarray, issues: Issues | None = None) -> None:
    """Refuse negative values (collected into ``issues`` when given, else raised)."""
    own = issues or Issues()
    own.add(f"{name} must not be negative", name, np.flatnonzero(array < 0), array, "negative")
    if issues is None:
        own.raise_if_any()


def check_whole(name: str, array: np.ndarray, issues: Issues | None = None) -> None:
    """Refuse fractional values in a count column (collected or raised)."""
    own = issues or Issues()
    bad = np.flatnonzero(array != np.floor(array))
    own.add(f"{name} must be whole numbers (counts)", name, bad, array, "not a whole number")
    if issues is None:
        own.raise_if_any()


def weights_column(weights: object, length: int) -> np.ndarray:
    """Per-row weights (numbers of identical customers); default one each."""
    if weights is None:
        return np.ones(length)
    w = as_column("weights", weights, length=length)
    check_nonnegative("weights", w)
    return w


def purchase_columns(
    frequency: object, recency: object, T: object, weights: object
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validated (frequency, recency, T, weights) for the BG/NBD family and Pareto/NBD.

    frequency: whole numbers >= 0; recency: >= 0, 0 when frequency is 0, <= T (a recency above T
    by at most 0.1 % of T is taken as rounding, set to T, and reported with a FitWarning).
    """
    x = as_column("frequency", frequency)
    n = x.shape[0]
    if n == 0:
        raise InputError("no customers to fit: the input is empty")
    tx = as_column("recency", recency, length=n)
    age = as_column("T", T, length=n)
    w = weights_column(weights, n)
    issues = Issues()
    check_nonnegative("frequency", x, issues)
    check_whole("frequency", x, issues)
    check_nonnegative("recency", tx, issues)
    check_nonnegative("T", age, issues)
    issues.add(
        "recency must be 0 for customers without repeat purchases",
        "recency",
        np.flatnonzero((x == 0) & (tx != 0)),
        tx,
        "frequency is 0 but recency is not",
    )
    over = (tx > age) & (age >= 0)  # a negative T is reported on its own
    rounding = over & (tx - age <= RECENCY_ROUNDING * age)
    issues.add(
        "recency (time of the last purchase) cannot be later than T (the customer's age)",
        "recency",
        np.flatnonzero(over & ~rounding),
        tx,
        "recency > T",
    )
    issues.raise_if_any()
    if rounding.any():
        tx = clamp_recency(tx, age, rounding)
    return x, tx, age, w


def clamp_recency(tx: np.ndarray, age: np.ndarray, rounding: np.ndarray) -> np.ndarray:
    """Set a rounding-sized excess of recency over T to T, with a warning."""
    excess = tx - age
    count = int(rounding.sum())
    warnings.warn(
        f"{count} customer(s) have recency slightly greater than T (by at most "
        f"{excess[rounding].max():.3g} time units, probably rounding); recency was set to T",
        FitWarning,
        stacklevel=5,
    )
    return np.minimum(tx, age)


def names_list(names: Sequence[str]) -> str:
    """'a, b and c' for messages."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
