"""Delimited and whitespace-separated text files → a table of strings with file line numbers.

Every value is read as text (validation converts it later), every record keeps the 1-based
line number it starts on (the header is line 1), and structural trouble (bad bytes, ragged
lines, a wrong delimiter, an empty file) becomes a message that says where and what to do.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from holdfast.errors import InputError, Problem, UserError
from holdfast.services.readers.issues import Issues

CANDIDATE_DELIMITERS = ("\t", ",", ";", "|")
_DELIMITER_NAMES = {"\t": "a tab (--format tsv)", ",": "','", ";": "';'", "|": "'|'"}
_DATA_LIKE = re.compile(r"^[\s\d+\-.,:/]*\d[\s\d+\-.,:/]*$")
_CHUNK = 1 << 24


@dataclass
class TextTable:
    """Records of a text file as strings, with the line each record starts on."""

    table: pa.Table
    lines: np.ndarray  # int64, 1-based file line per record
    issues: Issues
    delimiter: str | None  # None: runs of whitespace
    header: bool


def to_utf8(data: bytes, encoding: str, name: str) -> bytes:
    """The file's bytes as UTF-8 without a BOM; bad bytes raise an InputError naming the line."""
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise UserError(f"unknown encoding {encoding!r} (try utf-8, latin-1 or cp1252)") from None
    if codec in ("utf-8", "utf-8-sig") and data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        codec = "utf-16"  # spreadsheet "Unicode text" exports
    if codec in ("utf-8", "utf-8-sig"):
        _check_utf8(data, name)
        return data[3:] if data.startswith(codecs.BOM_UTF8) else data
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InputError(
            f"{name}: cannot be read as {encoding}",
            [
                Problem(
                    f"byte {data[error.start]:#04x} at offset {error.start} is not valid "
                    f"{encoding}: {error.reason}",
                    file=name,
                    row=line,
                )
            ],
        ) from None
    return text.removeprefix("\ufeff").encode("utf-8")


def _check_utf8(data: bytes, name: str) -> None:
    view = memoryview(data)
    pos = 0
    while pos < len(data):
        chunk = view[pos : pos + _CHUNK]
        final = pos + _CHUNK >= len(data)
        try:
            _, consumed = codecs.utf_8_decode(chunk, "strict", final)
        except UnicodeDecodeError as error:
            offset = pos + error.start
            line = data.count(b"\n", 0, offset) + 1
            start = data.rfind(b"\n", 0, offset) + 1
            end = data.find(b"\n", offset)
            snippet = data[start : end if end >= 0 else len(data)].rstrip(b"\r")
            raise InputError(
                f"{name}: is not UTF-8 text",
                [
                    Problem(
                        f"byte {data[offset]:#04x} at offset {offset} is not UTF-8; if the file "
                        "is Latin-1 or Windows-1252, give --encoding latin-1 (or cp1252)",
                        file=name,
                        row=line,
                        value=snippet.decode("utf-8", "backslashreplace"),
                    )
                ],
            ) from None
        if consumed == 0:  # an incomplete sequence at the chunk's end: take it next round
            chunk = view[pos : pos + _CHUNK + 4]
            _, consumed = codecs.utf_8_decode(chunk, "strict", True)
        pos += consumed


def line_bounds(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Start and end byte offsets of every line (end excludes the newline and a CR)."""
    raw = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(raw == 10)
    starts = np.concatenate([[0], newlines + 1]).astype(np.int64)
    ends = np.concatenate([newlines, [len(data)]]).astype(np.int64)
    if starts[-1] == len(data):  # the file ends with a newline
        starts, ends = starts[:-1], ends[:-1]
    has_cr = ends > starts
    has_cr[has_cr] = raw[ends[has_cr] - 1] == 13
    return starts, ends - has_cr


def sniff_delimiter(data: bytes) -> str | None:
    """The delimiter most consistent over the first lines, or None for runs of whitespace."""
    sample = data[:65536].decode("utf-8", "ignore").splitlines()[:50]
    lines = [line for line in sample if line.strip()][:-1] or [line for line in sample if line]
    if not lines:
        return ","
    for delimiter in CANDIDATE_DELIMITERS:
        counts = {line.count(delimiter) for line in lines}
        if len(counts) == 1 and counts != {0}:
            return delimiter
    widths = {len(line.split()) for line in lines}
    if len(widths) == 1 and widths != {1}:
        return None
    return ","


def read_text(
    data: bytes,
    name: str,
    delimiter: str | None,
    header: bool,
    columns: tuple[str, ...] | None,
) -> TextTable:
    """Parse UTF-8 ``data``: delimited by ``delimiter``, or by runs of whitespace if None."""
    starts, ends = line_bounds(data)
    nonblank = np.flatnonzero(ends > starts)
    if delimiter is None:
        # whitespace-only lines are blank too
        lines = _line_array(data, starts, ends)
        nonblank = np.flatnonzero(pc.utf8_length(pc.utf8_trim_whitespace(lines)).to_numpy() > 0)
    if len(nonblank) == 0:
        raise InputError(f"{name}: the file is empty")
    first = data[starts[nonblank[0]] : ends[nonblank[0]]].decode("utf-8")
    if delimiter is None:
        first_fields = first.split()
    else:
        first_fields = next(csv.reader([first], delimiter=delimiter))
    names = _column_names(first_fields, header, columns, name, first)
    if delimiter is None:
        table, lines_out, issues = _whitespace(data, starts, ends, nonblank, names, header, name)
    else:
        table, lines_out, issues = _delimited(
            data, starts, nonblank, names, header, delimiter, name
        )
    if delimiter is not None and len(names) == 1:
        _check_single_column(first, delimiter, name)
    if table.num_rows == 0 and not issues:
        raise InputError(f"{name}: has a header line but no data rows")
    return TextTable(table, lines_out, issues, delimiter, header)


def _column_names(
    fields: list[str], header: bool, columns: tuple[str, ...] | None, name: str, first: str
) -> list[str]:
    if columns:
        if len(columns) != len(fields):
            raise UserError(
                f"--columns names {len(columns)} columns but {name} has {len(fields)} "
                f"on its first line: {first!r}"
            )
        return list(columns)
    if not header:
        return [f"column_{i + 1}" for i in range(len(fields))]
    if _DATA_LIKE.match(first):
        raise UserError(
            f"the first line of {name} looks like data, not a header ({first.strip()!r}): "
            "name the columns with --columns a,b,c (or give --no-header)"
        )
    names = [f.strip() or f"column_{i + 1}" for i, f in enumerate(fields)]
    seen: set[str] = set()
    for column in names:
        if column in seen:
            raise UserError(f"{name}: column {column!r} appears twice in the header")
        seen.add(column)
    return names


def _check_single_column(first: str, delimiter: str, name: str) -> None:
    for other in CANDIDATE_DELIMITERS:
        if other != delimiter and other in first:
            flag = "--format tsv" if other == "\t" else f"--delimiter '{other}'"
            raise InputError(
                f"{name}: found 1 column {first!r} — is the delimiter "
                f"{_DELIMITER_NAMES[other]}? (give {flag})"
            )


def _line_array(data: bytes, starts: np.ndarray, ends: np.ndarray) -> pa.Array:
    """Every line as a string, sharing the file's buffer (offsets span the newline too)."""
    offsets = np.append(starts, len(data)).astype(np.int64)
    lines = pa.LargeStringArray.from_buffers(len(starts), pa.py_buffer(offsets), pa.py_buffer(data))
    return pc.utf8_rtrim(lines, "\r\n")


def _whitespace(
    data: bytes,
    starts: np.ndarray,
    ends: np.ndarray,
    nonblank: np.ndarray,
    names: list[str],
    header: bool,
    name: str,
) -> tuple[pa.Table, np.ndarray, Issues]:
    lines = _line_array(data, starts, ends).take(pa.array(nonblank[int(header) :]))
    line_numbers = nonblank[int(header) :] + 1
    fields = pc.split_pattern_regex(pc.utf8_trim_whitespace(lines), r"\s+")
    width = pc.list_value_length(fields).to_numpy()
    good = width == len(names)
    issues = Issues(name, np.empty(0, dtype=np.int64))
    for i in np.flatnonzero(~good)[:10_000]:
        issues.add_loose(
            Problem(
                f"expected {len(names)} fields separated by spaces, found {width[i]}",
                file=name,
                row=int(line_numbers[i]),
                value=lines[int(i)].as_py(),
            )
        )
    bad_total = int((~good).sum())
    if bad_total > 10_000:
        issues.add_loose(Problem(f"{bad_total - 10_000} more lines with the wrong field count"))
    kept = fields.filter(pa.array(good))
    flat = pc.list_flatten(kept)
    k = len(names)
    n = len(kept)
    columns = {
        column: pc.cast(flat.take(pa.array(np.arange(j, n * k, k))), pa.string())
        for j, column in enumerate(names)
    }
    issues.lines = line_numbers[good]
    return pa.table(columns), issues.lines, issues


def _delimited(
    data: bytes,
    starts: np.ndarray,
    nonblank: np.ndarray,
    names: list[str],
    header: bool,
    delimiter: str,
    name: str,
) -> tuple[pa.Table, np.ndarray, Issues]:
    skipped: list[tuple[int, str, int, int]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        skipped.append((row.number or 0, row.text, row.expected_columns, row.actual_columns))
        return "skip"

    body = memoryview(data)[int(starts[nonblank[0]]) :]
    quoted = b'"' in data
    try:
        table = pacsv.read_csv(
            pa.BufferReader(body),
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=int(header), use_threads=False
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=quoted, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as error:
        raise InputError(f"{name}: cannot be read as delimited text: {error}") from None
    record_lines = nonblank + 1
    if quoted and len(record_lines) != int(header) + table.num_rows + len(skipped):
        record_lines = _record_lines_by_csv(data, delimiter)
    issues = Issues(name, np.empty(0, dtype=np.int64))
    skipped_index = []
    for number, text, expected, actual in skipped:
        index = number - 1 if number else -1
        line = int(record_lines[index]) if 0 <= index < len(record_lines) else None
        skipped_index.append(index)
        issues.add_loose(
            Problem(
                f"expected {expected} columns, found {actual}",
                file=name,
                row=line,
                value=text,
            )
        )
    keep = np.ones(len(record_lines), dtype=bool)
    keep[: int(header)] = False
    keep[[i for i in skipped_index if 0 <= i < len(keep)]] = False
    lines = record_lines[keep]
    if len(lines) != table.num_rows:  # cannot place records on lines: number them instead
        lines = np.arange(table.num_rows, dtype=np.int64) + 1 + int(header)
    issues.lines = lines
    return table, lines, issues


def _record_lines_by_csv(data: bytes, delimiter: str) -> np.ndarray:
    """First line of every non-empty record, for files with line breaks inside quotes."""
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=delimiter)
    out = []
    previous = 0
    for row in reader:
        if row:
            out.append(previous + 1)
        previous = reader.line_num
    return np.asarray(out, dtype=np.int64)
