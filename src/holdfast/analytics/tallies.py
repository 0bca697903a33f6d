"""Counts per period packed into a few numbers per customer: each period gets a 4-bit counter
in one of the ``tally_<j>`` words (13 counters per word, periods 13j .. 13j + 12), and one
grouping per customer sums the words of their orders' periods.

A word is a sum of powers of 16 below 2**52, so it is exact as a float on every backend
(SQLite's integer SUM would overflow where a float only loses exactness). A counter is exact
while the customer has fewer than 16 orders in that period; whether any counter overflowed is
visible (:func:`exact`): a carry lowers the sum of the decoded counters below the customer's
order count, a carry out of a word lifts the word to 2**52 or more. Customers whose counters
overflowed need a grouping of their own orders; they are rare (16 orders in one period).
The check adds up a word's counters with a few masks and a remainder (:func:`_digit_sum`).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

#: Bits per counter, counters per word, and the bound every exact word stays below.
COUNTER_BITS = 4
PER_WORD = 13
WORD_LIMIT = float(2 ** (COUNTER_BITS * PER_WORD))
#: Rows with fewer orders than this cannot overflow a counter.
SAFE_TOTAL = 2**COUNTER_BITS
_COUNTER_MASK = 2**COUNTER_BITS - 1


def words(width: int) -> list[str]:
    """The names of the words that hold ``width`` counters."""
    return [f"tally_{j}" for j in range(-(-width // PER_WORD))]


def addends(offsets: np.ndarray, width: int) -> pd.DataFrame:
    """Per row of ``offsets`` (the period of an order, 0 .. width - 1): what the order adds to
    each word (16 ** counter in its own word, 0 in the others), as floats."""
    offsets = np.asarray(offsets, dtype=np.int64)
    unit = np.ldexp(1.0, (COUNTER_BITS * (offsets % PER_WORD)).astype(np.int32))
    return pd.DataFrame(
        {name: np.where(offsets // PER_WORD == j, unit, 0.0) for j, name in enumerate(words(width))}
    )


def _word_value(word: ir.FloatingValue) -> ir.IntegerValue:
    """The word as an integer, 0 where it is out of the exact range (never a failing cast)."""
    return ibis.cases((word < WORD_LIMIT, word), else_=0.0).cast("int64")


def _counter(value: ir.IntegerValue, shift: ir.IntegerValue) -> ir.IntegerValue:
    return (value >> shift) & _COUNTER_MASK


def exact(table: ir.Table, width: int, total: ir.IntegerValue) -> ir.BooleanValue:
    """Whether every counter of each row is its true count: the row's ``total`` (its number of
    orders) is below :data:`SAFE_TOTAL`, or no word reached 2**52 and the counters add up to
    ``total``."""
    names = words(width)
    in_range = ibis.and_(*(table[name] < WORD_LIMIT for name in names))
    counted = _balanced_sum([_digit_sum(_word_value(table[name])) for name in names])
    # CASE, not OR: the engines add up the counters of the few rows with many orders only
    return ibis.cases((total < SAFE_TOTAL, True), else_=in_range & (counted == total))


#: Every byte's low nibble: the counters of a word in two halves, one counter per byte each.
_NIBBLES = int.from_bytes(b"\x0f" * 8, "big")


def _digit_sum(value: ir.IntegerValue) -> ir.IntegerValue:
    """The sum of the 13 counters of a word below 2**52, in a few integer operations: adding
    the odd counters to the even ones leaves one sum of at most 30 per byte, and as 256 is 1
    modulo 255, the bytes (at most 7 x 30 < 255 together) add up modulo 255."""
    return ((value & _NIBBLES) + ((value >> COUNTER_BITS) & _NIBBLES)) % 255


def _balanced_sum(terms: list[ir.IntegerValue]) -> ir.IntegerValue:
    """terms[0] + terms[1] + ... as a balanced tree (SQLite's parser refuses deep nesting)."""
    while len(terms) > 1:
        pairs = [a + b for a, b in zip(terms[::2], terms[1::2], strict=False)]
        terms = pairs + ([terms[-1]] if len(terms) % 2 else [])
    return terms[0]


def at_least(table: ir.Table, width: int, thresholds: dict[str, int]) -> ir.Table:
    """Per counter ``k`` < ``width`` that some row has: for every named threshold, the rows of
    ``table`` (exact ones, see :func:`exact`) whose counter k is that much or more. Columns
    ``k, <names>``. Rows are grouped by word first, so each word's distinct values, not the
    rows, are converted and expanded into counters."""
    positions = ibis.memtable(pd.DataFrame({"position": pd.Series(range(PER_WORD), dtype="int32")}))
    parts = []
    for j, name in enumerate(words(width)):
        grouped = table.group_by(word=table[name]).aggregate(rows=table.count())
        grouped = grouped.filter(grouped.word > 0)
        values = grouped.select(value=_word_value(grouped.word), rows=grouped.rows)
        grid = values.cross_join(positions)
        grid = grid.filter(grid.position < width - j * PER_WORD)
        counter = _counter(grid.value, (grid.position * COUNTER_BITS).cast("int32"))
        sums = grid.group_by(k=(grid.position + j * PER_WORD).cast("int64")).aggregate(
            **{
                label: ibis.cases((counter >= least, grid.rows), else_=0).sum()
                for label, least in thresholds.items()
            }
        )
        parts.append(sums.select("k", **{label: sums[label].cast("int64") for label in thresholds}))
    return parts[0] if len(parts) == 1 else ibis.union(*parts)
