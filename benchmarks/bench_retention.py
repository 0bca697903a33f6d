"""Benchmark monthly retention (S, E, N, CRR, retained, reactivated, lost) on order files.

Run from the repository root::

    python benchmarks/bench_retention.py                       # 1 M and 10 M orders, 3 runs
    python benchmarks/bench_retention.py --orders 1000000 --runs 1      # quick
    python benchmarks/bench_retention.py --orders 100000000 --no-peer   # holdfast alone

Imports are outside the timed part for both. The orders are a ``holdfast simulate`` shop
written once to ``benchmarks/data/`` (Parquet, same seed every time). Each measurement is a
fresh process timing only the computation of the monthly period table (reading the Parquet
file included), with its peak resident memory.

holdfast: ``period_metrics`` (Ibis on DuckDB over the Parquet file, the path
``holdfast report FILE`` takes). The peer is the vectorised pandas an analyst would write
without holdfast: read the file, then for every month boundary take the customers with an
order in the window before it, and compare the sets. Both results are checked to be equal
before a time is reported.
"""

from __future__ import annotations

import argparse

from common import compare

HOLDFAST = """
import json, sys, time
from pathlib import Path
from holdfast.services.ingest import ImportRequest
from holdfast.services.metrics import ReportOptions, period_metrics
from holdfast.services.sources import open_file
import ibis.backends.duckdb  # noqa: F401  (the backend open_file loads: an import)
began = time.perf_counter()
source = open_file(ImportRequest("orders", Path(sys.argv[1])))
table = period_metrics(source, ReportOptions(period="month", active_window_days=365))
source.close()
seconds = time.perf_counter() - began
rows = table[["period", "customers_start", "customers_end", "new_customers", "retained"]]
print(json.dumps({"seconds": seconds, "rows": rows.astype(str).values.tolist()}))
"""

PANDAS = """
import json, sys, time
import numpy as np
import pandas as pd
import pyarrow.parquet  # noqa: F401  (the engine read_parquet loads: an import)
began = time.perf_counter()
orders = pd.read_parquet(sys.argv[1], columns=["customer_id", "ordered_at", "amount",
                                                 "refunded", "status"])
orders = orders[(orders.status == "completed") & (orders.amount - orders.refunded > 0)]
day = orders.ordered_at.dt.tz_localize(None).dt.normalize()
codes, _ = pd.factorize(orders.customer_id)
first = pd.Series(day.values).groupby(codes).transform("min").values
months = pd.period_range(day.min(), day.max(), freq="M")
window = np.timedelta64(365, "D")
last_day = day.max() + pd.Timedelta(days=1)
values = day.values
def active(boundary):
    b = np.datetime64(boundary)
    return np.unique(codes[(values >= b - window) & (values < b)])
rows = []
for month in months:
    start = month.start_time
    end = min(month.end_time.normalize() + pd.Timedelta(days=1), last_day)
    s, e = active(start), active(end)
    new = np.unique(codes[(first >= np.datetime64(start)) & (first < np.datetime64(end))])
    kept = np.intersect1d(s, e, assume_unique=True)
    rows.append([str(month), str(len(s)), str(len(e)), str(len(new)), str(len(kept))])
seconds = time.perf_counter() - began
print(json.dumps({"seconds": seconds, "rows": rows}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, action="append", help="order counts (repeatable)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-peer", action="store_true", help="holdfast alone")
    args = parser.parse_args()
    sizes = args.orders or [1_000_000, 10_000_000]
    compare(sizes, args.runs, HOLDFAST, None if args.no_peer else PANDAS, lambda a, b: a == b)


if __name__ == "__main__":
    main()
