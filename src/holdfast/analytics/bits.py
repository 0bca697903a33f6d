"""Counting customers per period with bit masks: one bit per period (or boundary) in a 64-bit
integer, OR-ed per customer in one grouping, then counted bit by bit.

This replaces a grouping by (customer, period) and a window per customer with one grouping by
customer, which is what makes the monthly tables fast; it holds for tables of up to
:data:`MAX_BITS` periods (five years of months), and callers keep a general plan for longer
ones. ``BIT_OR`` runs on every backend (a Python aggregate on SQLite, through ibis).

Counting goes through the distinct masks: customers are first grouped by their masks (a few
thousand distinct values for millions of customers), and only those groups are expanded into
one row per bit, so the work per customer is one hash lookup.
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


def bit_table(width: int) -> ir.Table:
    """In-memory table ``bit`` = 0 .. width - 1 (32-bit: PostgreSQL shifts by an integer)."""
    return ibis.memtable(pd.DataFrame({"bit": pd.Series(range(width), dtype="int32")}))


def bit_counts(
    table: ir.Table,
    masks: dict[str, ir.IntegerValue],
    width: int,
    by: str | None = None,
    weight: str | None = None,
) -> ir.Table:
    """Per group ``by`` (or once overall) and bit k < ``width``: for every named mask, the rows
    of ``table`` (or the sum of their ``weight``) whose mask has bit k set. Long format:
    ``[by,] bit, <names>``; overall every bit has a row (0 for none), per group the bits of
    groups that exist.

        customer | mask          by=None, width=3:  bit | n
        a        | 0b011                             0  | 2
        b        | 0b001                             1  | 1
                                                     2  | 0
    """
    if not fits(width):
        raise ValueError(f"a mask holds 1 to {MAX_BITS} bits, not {width}")
    keys = [by] if by else []
    values = {f"{name}__mask": mask.cast("int64") for name, mask in masks.items()}
    selected = table.select(*keys, **values, weight__=1 if weight is None else table[weight])
    groups = selected.group_by([*keys, *values]).aggregate(weight__=selected["weight__"].sum())
    bits = bit_table(width)
    grid = groups.cross_join(bits)
    sums = grid.group_by([*keys, "bit"]).aggregate(
        **{
            name: (((grid[f"{name}__mask"] >> grid.bit) & 1) * grid["weight__"]).sum()
            for name in masks
        }
    )
    if by:
        return sums.select(by, "bit", **{name: sums[name].cast("int64") for name in masks})
    full = bits.left_join(sums, "bit")
    return full.select(
        bit=full.bit.cast("int64"),
        **{name: full[name].fill_null(0).cast("int64") for name in masks},
    )
