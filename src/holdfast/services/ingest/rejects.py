"""The rejects file of ``--rejects FILE``: every bad row with its original values and reasons."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from holdfast.errors import UserError
from holdfast.services.readers.issues import Issues
from holdfast.services.readers.values import as_text


def write_rejects(path: Path, source_table: pa.Table, issues: Issues) -> int:
    """Write a CSV with ``row``, ``reason`` and the file's own columns; returns its row count.

    Lines the reader could not split into columns keep their text in ``reason``.
    """
    reasons = issues.reasons()
    rows = sorted(reasons)
    lines = issues.lines
    entries: list[tuple[int, str, int | None]] = [
        (int(lines[r]), "; ".join(reasons[r]), r) for r in rows
    ]
    for problem in issues.loose:
        text = (
            f"{problem.reason}: {problem.value!r}" if problem.value is not None else problem.reason
        )
        entries.append((problem.row or 0, text, None))
    entries.sort(key=lambda e: e[0])
    columns: dict[str, list[object]] = {
        "row": [e[0] for e in entries],
        "reason": [e[1] for e in entries],
    }
    index = [e[2] for e in entries]
    taken = source_table.take(pa.array(index, pa.int64()))
    for name in source_table.column_names:
        label = name if name not in columns else f"{name}_original"
        columns[label] = as_text(taken.column(name)).to_pylist()
    table = pa.table(
        {k: pa.array(v, pa.int64() if k == "row" else pa.string()) for k, v in columns.items()}
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        pacsv.write_csv(table, str(path))
    except OSError as error:
        raise UserError(f"cannot write the rejects file {path}: {error.strerror}") from None
    return len(entries)
