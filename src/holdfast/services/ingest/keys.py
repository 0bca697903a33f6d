"""Keys of imported records: made-up ids for files without one, and rows sharing a key.

A generated id is a pure function of the row's own values and its position among rows with
the same values, so importing the same file again yields the same ids (and changes nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from holdfast.services.readers.canonical import ROW


def ordinals(table: pa.Table, group_by: tuple[str, ...]) -> np.ndarray:
    """1-based position of each row among the rows with equal ``group_by`` values (file order)."""
    n = table.num_rows
    if n == 0:
        return np.empty(0, dtype=np.int64)
    keys = [_comparable(table.column(c)) for c in group_by]
    order = pc.sort_indices(
        pa.table({f"k{i}": k for i, k in enumerate(keys)} | {ROW: table.column(ROW)}),
        sort_keys=[(f"k{i}", "ascending") for i in range(len(keys))] + [(ROW, "ascending")],
    ).to_numpy()
    starts = np.zeros(n, dtype=bool)
    starts[0] = True
    for key in keys:
        ordered = key.take(pa.array(order))
        starts[1:] |= ~pc.equal(ordered[1:], ordered[:-1]).to_numpy(zero_copy_only=False)
    position = np.arange(n)
    group_start = np.maximum.accumulate(np.where(starts, position, 0))
    result = np.empty(n, dtype=np.int64)
    result[order] = position - group_start + 1
    return result


def _comparable(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """A null-free version of a key column (nulls sort and compare as one value)."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_timestamp(array.type):
        return pc.fill_null(pc.cast(array, pa.int64()), np.iinfo(np.int64).min)
    return pc.fill_null(pc.cast(array, pa.string()), "\x00")


def generated_labels(table: pa.Table, customer: str, time: str) -> pa.Array:
    """Ids ``"{customer}@{UTC time}#{n}"``, e.g. ``00002@1997-01-12T00:00:00Z#2``.

    n counts rows of the same customer at the same second, in file order. Rows without a
    time get no id (they are reported as bad already).
    """
    who = (
        pc.fill_null(table.column(customer), "")
        if customer in table.column_names
        else pa.array([""] * table.num_rows)
    )
    when = pc.strftime(pc.cast(table.column(time), pa.timestamp("s")), "%Y-%m-%dT%H:%M:%SZ")
    keyed = pa.table({"who": who, "when": when, ROW: table.column(ROW)})
    n = pa.array(ordinals(keyed, ("who", "when"))).cast(pa.string())
    return pc.binary_join_element_wise(who, "@", when, "#", n, "")


@dataclass(frozen=True)
class Conflicts:
    """Keys whose rows disagree, which columns disagree, and the rows of each such key."""

    rows: np.ndarray  # indices into the table of every row of a conflicting key
    columns: list[list[str]]  # per conflicting row: the columns that differ within its key
    siblings: list[list[int]]  # per conflicting row: the table indices sharing its key


def is_unique(table: pa.Table, key: tuple[str, ...]) -> bool:
    """True when no two rows share ``key`` (the common case, checked without grouping)."""
    if len(key) == 1:
        return pc.count_distinct(table.column(key[0]), mode="all").as_py() == table.num_rows
    groups = table.select(list(key)).group_by(list(key), use_threads=False).aggregate([])
    return groups.num_rows == table.num_rows


def find_conflicts(table: pa.Table, key: tuple[str, ...], compare: list[str]) -> Conflicts:
    """Rows whose key repeats with a different value in any of ``compare``."""
    if table.num_rows == 0 or not compare or is_unique(table, key):
        return Conflicts(np.empty(0, dtype=np.int64), [], [])
    position = pa.array(np.arange(table.num_rows, dtype=np.int64))
    work = table.select([*key, *compare]).append_column("_pos", position)
    counts = pc.CountOptions(mode="all")
    grouped = work.group_by(list(key), use_threads=False).aggregate(
        [(c, "count_distinct", counts) for c in compare] + [("_pos", "list")]
    )
    differs = [grouped.column(f"{c}_count_distinct").to_numpy() > 1 for c in compare]
    bad_groups = np.flatnonzero(np.logical_or.reduce(differs))
    rows: list[int] = []
    columns: list[list[str]] = []
    siblings: list[list[int]] = []
    members = grouped.column("_pos_list")
    for g in bad_groups.tolist():
        positions = members[g].as_py()
        names = [c for c, d in zip(compare, differs, strict=True) if d[g]]
        for p in positions:
            rows.append(p)
            columns.append(names)
            siblings.append(positions)
    return Conflicts(np.asarray(rows, dtype=np.int64), columns, siblings)


def first_of_each(table: pa.Table, key: tuple[str, ...]) -> pa.Table:
    """One row per key (the first in the file): duplicates that agree collapse into one."""
    if is_unique(table, key):
        return table
    firsts = table.group_by(list(key), use_threads=False).aggregate([(ROW, "min")])
    if firsts.num_rows == table.num_rows:
        return table
    keep = pc.is_in(table.column(ROW), value_set=firsts.column(f"{ROW}_min"))
    return table.filter(keep)
