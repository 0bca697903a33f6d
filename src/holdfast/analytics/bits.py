"""Counting customers per period with bit masks: one bit per period (or boundary) in a 64-bit
integer, OR-ed per customer in one grouping, then counted bit by bit.

This replaces a grouping by (customer, period) and a window per customer with one grouping by
customer, which is what makes the monthly tables fast; it holds for tables of up to
:data:`MAX_BITS` periods (five years of months), and callers keep a general plan for longer
ones. ``BIT_OR`` runs on every backend (a Python aggregate on SQLite, through ibis).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

#: Bits a mask may use: bit 62 is the highest a signed 64-bit integer holds without overflow.
MAX_BITS = 62


def fits(width: int) -> bool:
    """Whether ``width`` periods or boundaries fit in one mask."""
    return 0 < width <= MAX_BITS


def bit_counts(
    table: ir.Table, masks: dict[str, ir.IntegerValue], width: int, by: str | None = None
) -> ir.Table:
    """Per group ``by`` (or once overall) and bit k < ``width``: for every named mask, the rows
    of ``table`` whose mask has bit k set. Long format: ``[by,] bit, <names>`` (0 for none).

        customer | mask          by=None, width=3:  bit | n
        a        | 0b011                             0  | 2
        b        | 0b001                             1  | 1
                                                     2  | 0
    """
    if not fits(width):
        raise ValueError(f"a mask holds 1 to {MAX_BITS} bits, not {width}")
    sums = {
        f"{name}__{k}": ((mask >> k) & 1).sum()
        for name, mask in masks.items()
        for k in range(width)
    }
    totals = table.group_by(by).aggregate(**sums) if by else table.aggregate(**sums)
    bits = ibis.memtable(pd.DataFrame({"bit": pd.Series(range(width), dtype="int64")}))
    grid = totals.cross_join(bits)
    counts = {
        name: ibis.cases(*((grid.bit == k, grid[f"{name}__{k}"]) for k in range(width)))
        .fill_null(0)
        .cast("int64")
        for name in masks
    }
    return grid.select(*([by] if by else []), "bit", **counts)
