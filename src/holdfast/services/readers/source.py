"""Open an export file of any supported format as a table with a file row number per record.

Formats: CSV, TSV, whitespace-separated text (CDNOW), Parquet and JSON Lines, optionally
compressed (.gz, .bz2, .zst). The format comes from ``--format``, else from the extension,
else from sniffing the first lines. Text values stay text here; typed Parquet and JSON columns
keep their types (validation converts both).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.json as pajson
import pyarrow.parquet as pq

from holdfast.errors import InputError, NotFound, Problem, UserError
from holdfast.services.readers.issues import Issues
from holdfast.services.readers.text import line_bounds, read_text, sniff_delimiter, to_utf8

FORMATS = ("csv", "tsv", "whitespace", "parquet", "jsonl")
_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
_COMPRESSED = (".gz", ".bz2", ".zst", ".lz4")


@dataclass(frozen=True)
class ReadSettings:
    """How to read a file; every field may stay at its default for auto-detection."""

    format: str | None = None
    delimiter: str | None = None
    encoding: str = "utf-8"
    header: bool = True
    columns: tuple[str, ...] | None = None


@dataclass
class Source:
    """One file's records: the table (strings for text files), row numbers and problems."""

    path: Path
    name: str
    format: str
    table: pa.Table
    sha256: str
    issues: Issues
    delimiter: str | None = None
    header: bool = True
    notes: list[str] = field(default_factory=list)

    @property
    def lines(self) -> np.ndarray:
        """1-based row number in the file of every record (the header is row 1)."""
        return self.issues.lines

    def describe(self) -> str:
        """How the file was read, e.g. ``whitespace separated, with a header``."""
        if self.format in ("parquet", "jsonl"):
            return "Parquet" if self.format == "parquet" else "JSON Lines"
        if self.delimiter is None:
            kind = "whitespace separated"
        elif self.delimiter == "\t":
            kind = "tab separated"
        else:
            kind = f"delimited by {self.delimiter!r}"
        return f"{kind}, {'with a header line' if self.header else 'no header line'}"


def detect_format(path: Path, settings: ReadSettings) -> str:
    """The format named by the settings or the extension, or ``"text"`` (sniff later)."""
    if settings.format:
        fmt = settings.format.lower()
        if fmt not in FORMATS:
            raise UserError(f"unknown format {settings.format!r}: use one of {', '.join(FORMATS)}")
        return fmt
    suffixes = [s.lower() for s in path.suffixes]
    while suffixes and suffixes[-1] in _COMPRESSED:
        suffixes.pop()
    if settings.delimiter is not None:
        return "csv"
    return _EXTENSIONS.get(suffixes[-1], "text") if suffixes else "text"


def read_source(path: str | Path, settings: ReadSettings | None = None) -> Source:
    """Read ``path`` into a :class:`Source`; unreadable files raise InputError or NotFound."""
    settings = settings or ReadSettings()
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise NotFound(f"no such file: {name}")
    fmt = detect_format(path, settings)
    try:
        with pa.input_stream(str(path), compression="detect") as stream:
            data = stream.read()
    except (OSError, pa.ArrowException) as error:
        raise InputError(f"{name}: cannot be read: {error}") from None
    digest = hashlib.sha256(data).hexdigest()
    if fmt == "parquet":
        return _parquet(path, name, data, digest)
    if not data.strip():
        raise InputError(f"{name}: the file is empty")
    data = to_utf8(data, settings.encoding, name)
    if fmt == "jsonl":
        return _jsonl(path, name, data, digest)
    delimiter = _delimiter(fmt, settings, data)
    if delimiter is None:
        fmt = "whitespace"
    elif fmt == "text":
        fmt = "tsv" if delimiter == "\t" else "csv"
    header = settings.header and not settings.columns
    text = read_text(data, name, delimiter, header, settings.columns)
    return Source(path, name, fmt, text.table, digest, text.issues, delimiter, header)


def _delimiter(fmt: str, settings: ReadSettings, data: bytes) -> str | None:
    if settings.delimiter is not None:
        named = {"tab": "\t", "\\t": "\t", "whitespace": None, "space": " "}
        if settings.delimiter.lower() in named:
            return named[settings.delimiter.lower()]
        if len(settings.delimiter) != 1:
            raise UserError(f"--delimiter must be one character, got {settings.delimiter!r}")
        return settings.delimiter
    if fmt == "csv":
        return ","
    if fmt == "tsv":
        return "\t"
    if fmt == "whitespace":
        return None
    return sniff_delimiter(data)


def _parquet(path: Path, name: str, data: bytes, digest: str) -> Source:
    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError) as error:
        raise InputError(f"{name}: is not a readable Parquet file: {error}") from None
    if table.num_columns == 0:
        raise InputError(f"{name}: the file is empty")
    if table.num_rows == 0:
        raise InputError(f"{name}: has columns but no rows")
    table = table.flatten() if any(pa.types.is_struct(t) for t in table.schema.types) else table
    issues = Issues(name, np.arange(1, table.num_rows + 1, dtype=np.int64))
    return Source(path, name, "parquet", table, digest, issues, header=False)


def _jsonl(path: Path, name: str, data: bytes, digest: str) -> Source:
    starts, ends = line_bounds(data)
    nonblank = np.flatnonzero(ends > starts)
    issues = Issues(name, nonblank + 1)
    try:
        table = pajson.read_json(pa.BufferReader(data))
        if table.num_rows != len(nonblank):
            raise pa.ArrowInvalid("records do not match lines")
    except pa.ArrowInvalid:
        # mixed types or a broken line: the slow path says which line and keeps the rest
        table, keep = _jsonl_by_line(data, starts, ends, nonblank, issues)
        issues.lines = (nonblank + 1)[keep]
    if table.num_rows == 0:
        if issues:
            raise issues.error(f"{name}: no line could be read as a JSON object", 50)
        raise InputError(f"{name}: has no records")
    while any(pa.types.is_struct(t) for t in table.schema.types):
        table = table.flatten()
    return Source(path, name, "jsonl", table, digest, issues, header=False)


def _jsonl_by_line(
    data: bytes, starts: np.ndarray, ends: np.ndarray, nonblank: np.ndarray, issues: Issues
) -> tuple[pa.Table, np.ndarray]:
    records: list[dict] = []
    keep = np.zeros(len(nonblank), dtype=bool)
    for k, i in enumerate(nonblank):
        text = data[starts[i] : ends[i]].decode("utf-8")
        try:
            record = json.loads(text)
        except json.JSONDecodeError as error:
            issues.add_loose(
                Problem(
                    f"not valid JSON: {error.msg}", file=issues.file, row=int(i) + 1, value=text
                )
            )
            continue
        if not isinstance(record, dict):
            issues.add_loose(
                Problem("not a JSON object", file=issues.file, row=int(i) + 1, value=text)
            )
            continue
        records.append(record)
        keep[k] = True
    names: dict[str, None] = {}
    for record in records:
        names.update(dict.fromkeys(record))
    columns = {
        column: pa.array([_json_text(r.get(column)) for r in records], pa.string())
        for column in names
    }
    return pa.table(columns) if columns else pa.table({}), keep


def _json_text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value)
