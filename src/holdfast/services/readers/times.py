"""Dates and timestamps of any common export format → naive UTC timestamps, vectorised.

A column's format is ``--date-format`` or detected: ISO 8601 (with or without time, fraction
and zone), ``YYYYMMDD``, ``DD.MM.YYYY``, ``MM/DD/YYYY`` or ``DD/MM/YYYY`` (only when the data
tells them apart), ``YYYY/MM/DD``, ``DD-MM-YYYY``, ``31 Jan 2024``. Values without a zone are
read in the business time zone and converted to UTC; DST-ambiguous local times take the
earlier instant and times inside a DST gap the first instant after it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from holdfast.errors import UserError
from holdfast.services.readers.values import Failure, _mask, as_text

ISO = "ISO 8601"
_ISO_RE = (
    r"^(?P<date>\d{4}-\d{1,2}-\d{1,2})"
    r"(?:[T ](?P<hm>\d{1,2}:\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?)?"
    r"\s*(?P<z>Z|UTC|[+-]\d{2}(?::?\d{2})?)?$"
)
_TIMES = ("", " %H:%M", " %H:%M:%S")
CANDIDATES: tuple[str, ...] = (
    ISO,
    "%Y%m%d",
    *(f"%d.%m.%Y{t}" for t in _TIMES),
    *(f"%m/%d/%Y{t}" for t in _TIMES),
    *(f"%d/%m/%Y{t}" for t in _TIMES),
    *(f"%Y/%m/%d{t}" for t in _TIMES),
    *(f"%d-%m-%Y{t}" for t in _TIMES),
    "%d %b %Y",  # strptime's %b reads full month names too
    "%b %d, %Y",
)
_SAMPLE = 5000
UTC_NAIVE = pa.timestamp("us")


@dataclass(frozen=True)
class Parsed:
    """Parsed times (naive UTC, or dates), the failures, and the format that was used."""

    values: pa.Array
    failures: list[Failure]
    format: str | None


def parse_times(
    array: pa.Array | pa.ChunkedArray,
    timezone: str = "UTC",
    date_format: str | None = None,
    *,
    dates: bool = False,
) -> Parsed:
    """Timestamps in UTC (naive), or calendar dates with ``dates=True`` (no zone shift)."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    kind = array.type
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        return Parsed(_typed(array, timezone, dates), [], None)
    text = as_text(array)
    fmt = date_format or detect_format(text)
    if fmt is None:
        bad = _mask(pc.is_valid(text))
        reason = "not a date or time I recognise (give --date-format, e.g. %d/%m/%Y)"
        return Parsed(
            pa.nulls(len(text), pa.date32() if dates else UTC_NAIVE), [Failure(bad, reason)], None
        )
    local, aware = _parse(text, fmt)
    bad = _mask(pc.and_(pc.is_valid(text), pc.is_null(local)))
    label = "ISO 8601 like 2024-01-31 or 2024-01-31T10:00:00Z" if fmt == ISO else fmt
    failures = [Failure(bad, f"not a date/time in the format {label}")] if bad.any() else []
    if dates:
        return Parsed(pc.cast(local, pa.date32()), failures, fmt)
    return Parsed(_to_utc(local, aware, timezone), failures, fmt)


def detect_format(text: pa.Array) -> str | None:
    """The candidate format that reads the column, or None if none reads any value.

    Day-first and month-first formats that both read every value are refused as ambiguous.
    """
    values = pc.drop_null(text)
    if len(values) == 0:
        return ISO
    sample = values.slice(0, _SAMPLE)
    scores = {fmt: _count(sample, fmt) for fmt in CANDIDATES}
    complete = [fmt for fmt, n in scores.items() if n == len(sample)]
    if len(complete) == 1:
        return complete[0]
    if len(complete) > 1:
        whole = [fmt for fmt in complete if _count(values, fmt) == len(values)]
        if len(whole) == 1:
            return whole[0]
        if len(whole) > 1:
            example = sample[0].as_py()
            raise UserError(
                f"dates like {example!r} can be read as {' or '.join(whole)}: give "
                + " or ".join(f"--date-format '{fmt}'" for fmt in whole)
            )
        return max(complete, key=lambda fmt: _count(values, fmt))
    best = max(scores, key=lambda fmt: scores[fmt])
    return best if scores[best] > 0 else None


def _count(text: pa.Array, fmt: str) -> int:
    local, _ = _parse(text, fmt)
    return len(local) - local.null_count


def _parse(text: pa.Array, fmt: str) -> tuple[pa.Array, pa.Array | None]:
    """Local (or already UTC) naive times, and the UTC offset in minutes where one was given."""
    if fmt != ISO:
        parsed = pc.strptime(text, format=fmt, unit="us", error_is_null=True)
        if parsed.type.tz is not None:  # %z in the format: arrow gives UTC
            zero = pa.array(np.zeros(len(parsed), dtype=np.int64))
            return parsed.cast(UTC_NAIVE), pc.if_else(
                pc.is_valid(parsed), zero, pa.scalar(None, pa.int64())
            )
        return parsed, None
    fast = _iso_fast(text)
    if fast is not None:
        return _real_days_only(text, *fast)
    parts = pc.extract_regex(text, _ISO_RE)

    def field(name: str, default: str) -> pa.Array:
        value = pc.struct_field(parts, name)
        return pc.if_else(pc.equal(value, ""), default, value)

    clock = pc.binary_join_element_wise(field("hm", "00:00"), field("s", "00"), ":")
    stamp = pc.binary_join_element_wise(pc.struct_field(parts, "date"), clock, " ")
    base = pc.strptime(stamp, format="%Y-%m-%d %H:%M:%S", unit="us", error_is_null=True)
    fraction = pc.utf8_slice_codeunits(pc.utf8_rpad(field("f", "0"), 6, "0"), 0, 6)
    micros = pc.cast(pc.cast(fraction, pa.int64()), pa.duration("us"))
    local = pc.add(base, micros)
    zone = pc.struct_field(parts, "z")
    offset = _offset_minutes(zone)
    has_zone = pc.and_(pc.is_valid(base), pc.not_equal(pc.fill_null(zone, ""), ""))
    return _real_days_only(text, local, pc.if_else(has_zone, offset, pa.scalar(None, pa.int64())))


def _real_days_only(
    text: pa.Array, parsed: pa.Array, offset: pa.Array | None
) -> tuple[pa.Array, pa.Array | None]:
    """Null where the ISO date part is not a real day: Arrow rolls 1998-02-31 over to
    1998-03-03 instead of refusing it, so the day is parsed alone and written back."""
    day_text = pc.utf8_slice_codeunits(text, 0, 10)
    day = pc.strptime(day_text, format="%Y-%m-%d", unit="s", error_is_null=True)
    real = pc.fill_null(pc.equal(pc.strftime(day, format="%Y-%m-%d"), day_text), False)
    if pc.all(real).as_py() is not False:
        return parsed, offset
    empty = pa.scalar(None, parsed.type)
    return pc.if_else(real, parsed, empty), offset


def _iso_fast(text: pa.Array) -> tuple[pa.Array, pa.Array | None] | None:
    """Arrow's own ISO 8601 parser when every value has a zone or none has one and all parse;
    None sends the column through the slower regex path, which also finds the bad values."""
    zoned = pc.match_substring_regex(text, r"(Z|[+-]\d{2}:?\d{2})$")
    with_zone = pc.sum(zoned).as_py() or 0
    present = len(text) - text.null_count
    try:
        if with_zone == 0:
            return pc.cast(text, UTC_NAIVE), None
        if with_zone == present:
            utc = pc.cast(text, pa.timestamp("us", "UTC")).cast(UTC_NAIVE)
            zero = pa.array(np.zeros(len(text), dtype=np.int64), mask=~_mask(pc.is_valid(text)))
            return utc, zero
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return None


def _offset_minutes(zone: pa.Array) -> pa.Array:
    parts = pc.extract_regex(zone, r"^(?P<sign>[+-])(?P<h>\d{2}):?(?P<m>\d{2})?$")
    hours = pc.cast(pc.fill_null(pc.struct_field(parts, "h"), "0"), pa.int64())
    mins_text = pc.struct_field(parts, "m")
    minutes = pc.cast(
        pc.if_else(pc.equal(pc.fill_null(mins_text, ""), ""), "0", mins_text), pa.int64()
    )
    total = pc.add(pc.multiply(hours, 60), minutes)
    negative = pc.equal(pc.fill_null(pc.struct_field(parts, "sign"), "+"), "-")
    return pc.fill_null(pc.if_else(negative, pc.negate(total), total), 0)


def _to_utc(local: pa.Array, offset: pa.Array | None, timezone: str) -> pa.Array:
    if timezone == "UTC":
        shifted = local
    else:
        zoned = pc.assume_timezone(local, timezone, ambiguous="earliest", nonexistent="latest")
        shifted = zoned.cast(UTC_NAIVE)
    if offset is None:
        return shifted
    local_us = pc.cast(local, pa.int64())
    explicit = pc.subtract(local_us, pc.multiply(offset, 60_000_000))
    return pc.if_else(pc.is_valid(offset), pc.cast(explicit, UTC_NAIVE), shifted)


def _typed(array: pa.Array, timezone: str, dates: bool) -> pa.Array:
    kind = array.type
    if dates:
        if pa.types.is_timestamp(kind) and kind.tz is not None:
            array = pc.local_timestamp(array)
        return pc.cast(array, pa.date32())
    if pa.types.is_date(kind):
        return _to_utc(pc.cast(array, UTC_NAIVE), None, timezone)
    if kind.tz is not None:
        return pc.cast(array, pa.timestamp("us", "UTC")).cast(UTC_NAIVE)
    return _to_utc(pc.cast(array, UTC_NAIVE), None, timezone)
