"""Order counters packed into float words, on DuckDB, SQLite and PostgreSQL: which rows'
counters are exact (a carry or a word past 2**52 gives it away) and how many rows reach a
threshold per counter."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from holdfast.analytics import tallies

WIDTH = 2 * tallies.PER_WORD  # two words


def packed(orders_per_period: dict[int, int]) -> dict[str, float]:
    """The words a customer's orders add up to: each order adds 16 ** counter to its word."""
    offsets = np.repeat(list(orders_per_period), list(orders_per_period.values()))
    words = tallies.addends(offsets, WIDTH).sum()
    return {name: float(words[name]) for name in tallies.words(WIDTH)}


CUSTOMERS = {
    "one order": {0: 1},
    "fifteen in a period": {0: 15, 12: 15, 13: 1},
    "all counters full": dict.fromkeys(range(WIDTH), 15),
    "sixteen carry into the next counter": {3: 16},
    "last counter of a word carries out of it": {12: 16},
    "sixteen in each of two periods": {0: 16, 1: 16},
    "many orders far past a word": {25: 2**20},
}
EXACT = {
    "one order": True,
    "fifteen in a period": True,
    "all counters full": True,
    "sixteen carry into the next counter": False,
    "last counter of a word carries out of it": False,
    "sixteen in each of two periods": False,
    "many orders far past a word": False,
}


@pytest.fixture
def counters(backend):
    rows = [
        {"name": name, "orders": sum(periods.values()), **packed(periods)}
        for name, periods in CUSTOMERS.items()
    ]
    return backend.create_table("counters", pd.DataFrame(rows), overwrite=True)


def test_exact_tells_the_rows_whose_counters_overflowed(counters):
    checked = counters.select("name", exact=tallies.exact(counters, WIDTH, counters.orders))
    got = dict(checked.execute().itertuples(index=False))
    assert {name: bool(value) for name, value in got.items()} == EXACT


def test_at_least_counts_the_exact_rows_per_counter(counters):
    kept = counters.filter(counters.name.isin([n for n, ok in EXACT.items() if ok]))
    got = tallies.at_least(kept, WIDTH, {"buyers": 1, "repeat": 2}).execute()
    got = got.set_index("k").sort_index()
    expected = {k: [0, 0] for k in range(WIDTH)}
    for name, ok in EXACT.items():
        for k, n in CUSTOMERS[name].items() if ok else ():
            expected[k][0] += n >= 1
            expected[k][1] += n >= 2
    for k, (buyers, repeat) in expected.items():
        row = got.loc[k] if k in got.index else {"buyers": 0, "repeat": 0}
        assert (row["buyers"], row["repeat"]) == (buyers, repeat), k
