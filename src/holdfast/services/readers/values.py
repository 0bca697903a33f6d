"""Vectorised checks and conversions of one column: text, ids, money, integers, statuses.

Every function takes an Arrow array (text from CSV, or typed from Parquet and JSON), returns
the converted array with nulls where a value is missing or bad, and a list of
:class:`Failure` (a boolean mask and a reason) for the caller to report. No value is rounded:
money is parsed as decimal text into integer minor units.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from holdfast.domain.columns import STATUS_SYNONYMS

MAX_INT_DIGITS = 14  # × 10^4 (the largest exponent) stays inside int64


@dataclass(frozen=True)
class Failure:
    """Values failing one check: ``mask`` over the column, and why."""

    mask: np.ndarray
    reason: str


def as_text(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Any column as trimmed strings, empty → null (typed columns print as Arrow casts them)."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    if pa.types.is_large_string(array.type):
        array = array.cast(pa.string())
    elif not pa.types.is_string(array.type):
        if pa.types.is_nested(array.type):
            array = pa.array(
                [None if v is None else json.dumps(v, default=str) for v in array.to_pylist()],
                pa.string(),
            )
        else:
            array = pc.cast(array, pa.string())
    trimmed = pc.utf8_trim_whitespace(array)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def _mask(array: pa.Array) -> np.ndarray:
    """A boolean numpy mask from a boolean Arrow array (null counts as False)."""
    return pc.fill_null(array, False).to_numpy(zero_copy_only=False)


def check_length(text: pa.Array, max_length: int | None) -> list[Failure]:
    """Values longer than the store column allows."""
    if max_length is None:
        return []
    too_long = _mask(pc.greater(pc.utf8_length(text), max_length))
    return [Failure(too_long, f"longer than {max_length} characters")] if too_long.any() else []


def check_pattern(text: pa.Array, pattern: str, reason: str) -> list[Failure]:
    """Present values that do not match ``pattern``."""
    bad = _mask(pc.invert(pc.match_substring_regex(text, pattern)))
    return [Failure(bad, reason)] if bad.any() else []


def parse_status(text: pa.Array) -> tuple[pa.Array, list[Failure]]:
    """Order statuses and their synonyms (``paid``, ``Canceled``) → completed/cancelled/refunded."""
    key = pc.replace_substring_regex(pc.utf8_lower(text), r"[^0-9a-z]", "")
    words = pa.array(list(STATUS_SYNONYMS))
    index = pc.index_in(key, value_set=words)
    status = pa.array(list(STATUS_SYNONYMS.values())).take(index)
    unknown = _mask(pc.and_(pc.is_valid(text), pc.is_null(index)))
    reason = (
        "not an order status: use completed, cancelled or refunded (or paid, shipped, "
        "canceled, void, returned ...)"
    )
    return status, [Failure(unknown, reason)] if unknown.any() else []


def parse_integer(
    text: pa.Array, minimum: int | None = None, maximum: int | None = None
) -> tuple[pa.Array, list[Failure]]:
    """Whole numbers (``3``, ``+3``, ``3.0``) → int64, with an optional allowed range."""
    ok = pc.match_substring_regex(text, r"^[+-]?\d{1,18}(\.0*)?$")
    bad = _mask(pc.and_(pc.is_valid(text), pc.invert(ok)))
    digits = pc.replace_substring_regex(text, r"^\+|\.0*$", "")
    clean = pc.if_else(ok, digits, pa.scalar(None, pa.string()))
    values = pc.cast(clean, pa.int64())
    failures = [Failure(bad, "not a whole number")] if bad.any() else []
    low = minimum if minimum is not None else None
    high = maximum if maximum is not None else None
    out_of_range = np.zeros(len(values), dtype=bool)
    if low is not None:
        out_of_range |= _mask(pc.less(values, low))
    if high is not None:
        out_of_range |= _mask(pc.greater(values, high))
    if out_of_range.any():
        if low is not None and high is not None and high < 2**31 - 1:
            reason = f"must be between {low} and {high}"
        else:
            reason = f"must be at least {low}" if low is not None else f"must be at most {high}"
        failures.append(Failure(out_of_range, reason))
        values = pc.if_else(pa.array(out_of_range), pa.scalar(None, pa.int64()), values)
    return values, failures


_POINT = r"^(?P<sign>[+-]?)[$€£¥]?\s*(?P<int>\d{1,3}(?:,\d{3})+|\d*)(?:\.(?P<frac>\d*))?\s*[$€£¥]?$"
_COMMA = r"^(?P<sign>[+-]?)[$€£¥]?\s*(?P<int>\d{1,3}(?:\.\d{3})+|\d*)(?:,(?P<frac>\d*))?\s*[$€£¥]?$"


def parse_money(
    text: pa.Array, exponent: int | np.ndarray, decimal_comma: bool = False
) -> tuple[pa.Array, list[Failure]]:
    """Decimal text → int64 minor units: ``"19.99"`` → 1999 at exponent 2, exactly.

    Accepts a sign, thousands separators (``1,234.50``; ``1.234,50`` with ``decimal_comma``)
    and a leading or trailing ``$ € £ ¥``. More decimals than ``exponent`` (per row, or one
    for all) is a failure, not a rounding.
    """
    if not decimal_comma and isinstance(exponent, int):
        fast = _plain_money(text, exponent)
        if fast is not None:
            return fast, []
    n = len(text)
    parts = pc.extract_regex(text, _COMMA if decimal_comma else _POINT)
    matched = pc.is_valid(parts)
    sign = pc.struct_field(parts, "sign")
    int_text = pc.struct_field(parts, "int")
    frac_text = pc.utf8_rtrim(pc.fill_null(pc.struct_field(parts, "frac"), ""), "0")
    thousands = "." if decimal_comma else ","
    int_digits = pc.replace_substring(pc.fill_null(int_text, ""), thousands, "")
    has_digit = pc.or_(
        pc.greater(pc.utf8_length(int_digits), 0),
        pc.greater(pc.utf8_length(pc.fill_null(pc.struct_field(parts, "frac"), "")), 0),
    )
    present = _mask(pc.is_valid(text))
    number = _mask(pc.and_(matched, has_digit))
    not_number = present & ~number
    failures: list[Failure] = []
    if not_number.any():
        failures += _not_number_reasons(text, not_number, decimal_comma)
    too_big = number & _mask(pc.greater(pc.utf8_length(int_digits), MAX_INT_DIGITS))
    if too_big.any():
        failures.append(Failure(too_big, f"more than {MAX_INT_DIGITS} digits before the point"))
    exp = np.broadcast_to(np.asarray(exponent, dtype=np.int64), (n,))
    frac_len = pc.utf8_length(frac_text).to_numpy(zero_copy_only=False).astype(np.int64)
    too_precise = number & ~too_big & (frac_len > exp)
    if too_precise.any():
        places = sorted(set(exp[too_precise].tolist()))
        label = " or ".join(str(p) for p in places)
        failures.append(
            Failure(too_precise, f"more than {label} decimal places (amounts are not rounded)")
        )
    good = number & ~too_big & ~too_precise
    good_arrow = pa.array(good)
    whole = _int64(pc.if_else(good_arrow, int_digits, "0"))
    frac = _int64(pc.if_else(good_arrow, frac_text, "0"))
    shift = np.where(good, exp - frac_len, 0)
    minor = whole * 10**exp + frac * 10**shift
    negative = _mask(pc.equal(sign, "-"))
    minor = np.where(negative, -minor, minor)
    return pa.array(minor, pa.int64(), mask=~good), failures


def _plain_money(text: pa.Array, exponent: int) -> pa.Array | None:
    """Arrow's decimal parser for columns of plain numbers (``-12.50``), three times faster;
    None when any value needs the full grammar or fails (the slow path then names it)."""
    plain = pc.match_substring_regex(text, rf"^[+-]?\d{{1,{MAX_INT_DIGITS}}}(\.\d+)?$")
    if pc.any(pc.invert(plain)).as_py():
        return None
    try:
        decimals = pc.cast(text, pa.decimal128(MAX_INT_DIGITS + exponent, exponent))
        scale = pa.scalar(Decimal(10**exponent), pa.decimal128(exponent + 1, 0))
        return pc.cast(pc.multiply(decimals, scale), pa.int64())
    except pa.ArrowInvalid:
        return None


def _int64(digits: pa.Array) -> np.ndarray:
    clean = pc.if_else(pc.equal(digits, ""), "0", digits)
    return pc.cast(clean, pa.int64()).to_numpy(zero_copy_only=False)


def _not_number_reasons(text: pa.Array, bad: np.ndarray, decimal_comma: bool) -> list[Failure]:
    if decimal_comma:
        other = _mask(pc.match_substring_regex(text, r"^[+-]?\d+\.\d{1,2}$")) & bad
        hint = "not a number with a decimal comma (it has a decimal point: drop --decimal-comma)"
    else:
        other = _mask(pc.match_substring_regex(text, r"^[+-]?\d+,\d{1,2}$")) & bad
        hint = "not a number (a decimal comma? give --decimal-comma)"
    out = []
    if (bad & ~other).any():
        out.append(Failure(bad & ~other, "not a number"))
    if other.any():
        out.append(Failure(other, hint))
    return out
