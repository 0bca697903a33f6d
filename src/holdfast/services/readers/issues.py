"""Bad values found by vectorised checks, kept as row indices until someone needs the details.

A check adds one :class:`Issue` (the failing row indices, the file column, the reason and the
offending values). Only the first ``limit`` become :class:`~holdfast.errors.Problem` objects;
the rejects file gets a reason for every bad row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from holdfast.errors import InputError, Problem


def plural(count: int, noun: str) -> str:
    """``plural(1, "row")`` → "1 row", ``plural(2, "row")`` → "2 rows"."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


@dataclass(frozen=True)
class Issue:
    """Rows (indices into the file's records) that fail one check for one reason."""

    rows: np.ndarray
    column: str | None
    reason: str
    values: Sequence[object] | None = None  # aligned with rows; None: no value to show


@dataclass
class Issues:
    """Every problem of one file, in the order the checks found them."""

    file: str
    lines: np.ndarray  # record index -> 1-based row number in the file
    found: list[Issue] = field(default_factory=list)
    #: problems that belong to no record (e.g. a malformed line pyarrow skipped)
    loose: list[Problem] = field(default_factory=list)

    def add(
        self,
        rows: np.ndarray | pa.Array,
        column: str | None,
        reason: str,
        values: pa.Array | Sequence[object] | None = None,
    ) -> None:
        """Record ``reason`` for ``rows``: a boolean mask over all records, or row indices.

        ``values`` are aligned with the records (full length) when ``rows`` is a mask, and with
        ``rows`` when indices are given.
        """
        mask_or_index = rows.to_numpy(zero_copy_only=False) if isinstance(rows, pa.Array) else rows
        mask_or_index = np.asarray(mask_or_index)
        if mask_or_index.dtype == bool:
            index = np.flatnonzero(mask_or_index)
            if isinstance(values, pa.Array | pa.ChunkedArray):
                values = values.take(pa.array(index)).to_pylist() if len(index) else []
            elif values is not None:
                values = [values[i] for i in index]
        else:
            index = mask_or_index.astype(np.int64)
            if isinstance(values, pa.Array | pa.ChunkedArray):
                values = values.to_pylist()
        if len(index):
            self.found.append(Issue(index, column, reason, values))

    def add_loose(self, problem: Problem) -> None:
        """A problem that is not tied to a record the reader kept."""
        self.loose.append(problem)

    @property
    def total(self) -> int:
        """Number of problems (one per bad value)."""
        return len(self.loose) + sum(len(i.rows) for i in self.found)

    def __bool__(self) -> bool:
        return self.total > 0

    def bad_rows(self) -> np.ndarray:
        """Sorted indices of every record with at least one problem."""
        if not self.found:
            return np.empty(0, dtype=np.int64)
        return np.unique(np.concatenate([i.rows for i in self.found]))

    def problems(self, limit: int | None = None) -> list[Problem]:
        """Problems ordered by row, then by check; at most ``limit``."""
        keyed: list[tuple[int, int, Problem]] = []
        for order, issue in enumerate(self.found):
            # the earliest rows are enough: never more than ``limit`` per check
            take = len(issue.rows) if limit is None else min(limit, len(issue.rows))
            for k in range(take):
                row = int(issue.rows[k])
                value = None if issue.values is None else issue.values[k]
                problem = Problem(
                    reason=issue.reason,
                    file=self.file,
                    row=int(self.lines[row]),
                    column=issue.column,
                    value=value,
                )
                keyed.append((problem.row or 0, order, problem))
        keyed += [(p.row or 0, -1, p) for p in self.loose]
        keyed.sort(key=lambda t: (t[0], t[1]))
        ordered = [p for *_, p in keyed]
        return ordered if limit is None else ordered[:limit]

    def reasons(self) -> dict[int, list[str]]:
        """Record index → reasons, for every bad record (used by the rejects file)."""
        out: dict[int, list[str]] = {}
        for issue in self.found:
            label = f"{issue.column}: " if issue.column else ""
            for k, row in enumerate(issue.rows.tolist()):
                value = "" if issue.values is None else f" ({issue.values[k]!r})"
                out.setdefault(row, []).append(f"{label}{issue.reason}{value}")
        return out

    def error(self, message: str, limit: int) -> InputError:
        """An InputError listing up to ``limit`` problems and the total count."""
        return InputError(message, self.problems(limit), self.total)
