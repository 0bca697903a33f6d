"""A file's records → the canonical columns of one import kind, typed, with every bad value noted.

Ids and text are trimmed (empty means missing), money becomes int64 minor units, times naive
UTC timestamps, statuses the store's three words. A bad or missing value becomes null in the
table and an :class:`~holdfast.services.readers.issues.Issue` naming the file column; the
``_row`` column keeps each record's index so later checks can point back at the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from holdfast.domain.columns import ColumnMapping, ColumnSpec, ValueType
from holdfast.domain.money import currency_exponent
from holdfast.services.readers.source import Source
from holdfast.services.readers.times import ISO, parse_times
from holdfast.services.readers.values import (
    Failure,
    as_text,
    check_length,
    check_pattern,
    parse_integer,
    parse_money,
    parse_status,
)

ROW = "_row"
_PATTERNS = {
    ValueType.EMAIL: (r"^[^@\s]+@[^@\s]+\.[^@\s]+$", "not an e-mail address"),
    ValueType.COUNTRY: (r"^[A-Z]{2}$", "not an ISO 3166 country code like US or DE"),
    ValueType.CURRENCY: (r"^[A-Z]{3}$", "not an ISO 4217 currency code like USD or EUR"),
}


@dataclass(frozen=True)
class ConvertSettings:
    """How to read values: business time zone, date format, decimal comma, default currency."""

    timezone: str = "UTC"
    date_format: str | None = None
    decimal_comma: bool = False
    currency: str = "USD"


@dataclass
class Canonical:
    """The canonical columns the file provides, plus ``_row``; bad values are null."""

    table: pa.Table
    mapping: ColumnMapping
    date_formats: dict[str, str] = field(default_factory=dict)


def to_canonical(source: Source, mapping: ColumnMapping, settings: ConvertSettings) -> Canonical:
    """Convert and check every mapped column; problems go to ``source.issues``."""
    spec = mapping.spec
    n = source.table.num_rows
    columns: dict[str, pa.Array] = {}
    formats: dict[str, str] = {}
    # currency first: money columns take their exponent from it
    order = sorted(mapping.source, key=lambda c: spec.column(c).type != ValueType.CURRENCY)
    for name in order:
        col = spec.column(name)
        header = mapping.source[name]
        raw = source.table.column(header).combine_chunks()
        # typed Parquet/JSON columns skip the round trip through text unless a value is bad
        text = as_text(raw) if _is_text(raw.type) else None
        values, failures, fmt = _convert(col, raw, text, columns, settings)
        if fmt:
            formats[name] = fmt
        if failures and text is None:
            text = as_text(raw)
        for failure in failures:
            source.issues.add(failure.mask, header, failure.reason, text)
        if col.required:
            missing = pc.is_null(text if text is not None else raw)
            missing_mask = missing.to_numpy(zero_copy_only=False)
            if missing_mask.any():
                source.issues.add(missing_mask, header, f"missing {name.replace('_', ' ')}")
        columns[name] = values
    columns[ROW] = pa.array(np.arange(n, dtype=np.int64))
    ordered = {c: columns[c] for c in (*spec.names, ROW) if c in columns}
    return Canonical(pa.table(ordered), mapping, formats)


def _is_text(kind: pa.DataType) -> bool:
    return (
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or (pa.types.is_dictionary(kind) and pa.types.is_string(kind.value_type))
    )


def _convert(
    col: ColumnSpec,
    raw: pa.Array,
    text: pa.Array | None,
    done: dict[str, pa.Array],
    settings: ConvertSettings,
) -> tuple[pa.Array, list[Failure], str | None]:
    kind = col.type
    if kind in (ValueType.TIMESTAMP, ValueType.DATE):
        parsed = parse_times(
            raw if text is None else text,
            settings.timezone,
            settings.date_format,
            dates=kind == ValueType.DATE,
        )
        fmt = parsed.format
        shown = None if fmt is None else ("ISO 8601" if fmt == ISO else fmt)
        return parsed.values, parsed.failures, shown
    if text is None and not (kind == ValueType.MONEY and _typed_money_ok(raw)):
        text = as_text(raw)
    if kind == ValueType.MONEY:
        exponents = _exponents(done, settings)
        values = _typed_money(raw, exponents) if text is None else None
        if values is None:
            values, failures = parse_money(
                as_text(raw) if text is None else text, exponents, settings.decimal_comma
            )
        else:
            failures = []
        if not col.signed:
            negative = pc.fill_null(pc.less(values, 0), False).to_numpy(zero_copy_only=False)
            if negative.any():
                failures.append(Failure(negative, "must not be negative"))
                values = pc.if_else(pa.array(negative), pa.scalar(None, pa.int64()), values)
        return values, failures, None
    assert text is not None
    if kind == ValueType.INTEGER:
        values, failures = parse_integer(text, col.minimum, col.maximum)
        return values, failures, None
    if kind == ValueType.STATUS:
        values, failures = parse_status(text)
        return values, failures, None
    if kind in (ValueType.COUNTRY, ValueType.CURRENCY):
        text = pc.utf8_upper(text)
    failures = check_length(text, col.max_length)
    if kind in _PATTERNS:
        failures += check_pattern(text, *_PATTERNS[kind])
    if failures:
        bad = np.logical_or.reduce([f.mask for f in failures])
        text = pc.if_else(pa.array(bad), pa.scalar(None, pa.string()), text)
    return text, failures, None


def _typed_money_ok(raw: pa.Array) -> bool:
    return pa.types.is_decimal(raw.type) or pa.types.is_integer(raw.type)


def _typed_money(raw: pa.Array, exponent: int | np.ndarray) -> pa.Array | None:
    """Minor units straight from a decimal or integer column, or None to go through text
    (per-row exponents, or more decimals than the currency has: the text path names rows)."""
    if not isinstance(exponent, int):
        return None
    try:
        if pa.types.is_decimal(raw.type):
            scale = pa.scalar(Decimal(10**exponent), pa.decimal128(exponent + 1, 0))
            return pc.cast(pc.multiply(raw, scale), pa.int64())
        return pc.multiply_checked(pc.cast(raw, pa.int64()), 10**exponent)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _exponents(done: dict[str, pa.Array], settings: ConvertSettings) -> int | np.ndarray:
    """Minor-unit exponent per row from a currency column, else the default currency's."""
    default = currency_exponent(settings.currency)
    currency = done.get("currency")
    if currency is None or currency.null_count == len(currency):
        return default
    codes = pc.unique(pc.drop_null(currency)).to_pylist()
    found = {currency_exponent(c) for c in codes}
    if currency.null_count:
        found.add(default)
    if len(found) == 1:
        return found.pop()
    exponents = pa.array([currency_exponent(c) for c in codes], pa.int64())
    index = pc.index_in(currency, value_set=pa.array(codes, pa.string()))
    per_row = pc.fill_null(exponents.take(index), default)
    return per_row.to_numpy(zero_copy_only=False)
