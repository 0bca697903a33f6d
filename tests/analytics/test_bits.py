"""bit_counts on DuckDB, SQLite and PostgreSQL: bits counted per group and overall, the
highest bit a mask may use, and widths it refuses."""

from __future__ import annotations

import pandas as pd
import pytest

from holdfast.analytics.bits import MAX_BITS, bit_counts


def test_counts_every_bit_per_group_and_overall(backend):
    rows = pd.DataFrame(
        {
            "g": ["x", "x", "y", "y"],
            "mask": [0b011, 0b001, 1 << (MAX_BITS - 1), 0b100],
        }
    )
    table = backend.create_table("masks", rows, overwrite=True)
    overall = bit_counts(table, {"n": table["mask"]}, MAX_BITS).execute()
    counts = dict(zip(overall.bit, overall.n, strict=True))
    assert len(counts) == MAX_BITS
    assert (counts[0], counts[1], counts[2], counts[MAX_BITS - 1]) == (2, 1, 1, 1)
    assert sum(counts.values()) == 5
    grouped = bit_counts(table, {"n": table["mask"], "m": table["mask"] >> 1}, 3, by="g")
    got = grouped.execute().sort_values(["g", "bit"])
    assert got.n.tolist() == [2, 1, 0, 0, 0, 1]
    assert got.m.tolist() == [1, 0, 0, 0, 1, 0]


@pytest.mark.parametrize("width", [0, MAX_BITS + 1])
def test_widths_outside_a_mask_are_refused(backend, width):
    table = backend.create_table("masks", pd.DataFrame({"mask": [1]}), overwrite=True)
    with pytest.raises(ValueError, match="a mask holds"):
        bit_counts(table, {"n": table["mask"]}, width)
