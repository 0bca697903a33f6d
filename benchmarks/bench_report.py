"""Benchmark the report's core numbers against the pandas an analyst would write for them.

Run from the repository root::

    python benchmarks/bench_report.py                          # 1 M and 10 M orders, 3 runs
    python benchmarks/bench_report.py --orders 1000000 --runs 1         # quick
    python benchmarks/bench_report.py --orders 100000000 --no-peer --no-full --runs 1

The numbers: the monthly retention table (S, E, N, retained with a 365-day window), the
monthly acquisition-cohort table (members buying at every age, cumulative revenue per member)
and the per-customer RFM summary (frequency, recency, T, mean repeat spend, in days). Both
sides read the same ``holdfast simulate`` Parquet orders (seed 7, cached in
``benchmarks/data/``) in a fresh process; the time is taken inside it around reading and
computing (imports excluded), the peak memory is its maximum resident set size from ``wait4``.
holdfast runs its Ibis expressions on DuckDB over the file, the path ``holdfast report FILE``
takes; the peer is vectorised pandas. Before a time is reported the parent checks that both
sides produced the same table of retention counts, the same cohort cells and the same summary
totals. A last column times ``build_report``, everything the report shows (also the Lorenz
curve, tenure bands, days between orders, quartiles), for scale.
"""

from __future__ import annotations

import argparse
import math

from common import compare

HOLDFAST = """
import json, sys, time
from pathlib import Path
from holdfast.analytics.cohorts import cohort_table
from holdfast.analytics.summary import customer_summary
from holdfast.services.ingest import ImportRequest
from holdfast.services.metrics import ReportOptions, frame_of, periods_of, prepare
from holdfast.services.sources import open_file
import ibis.backends.duckdb  # noqa: F401  (the backend open_file loads: an import)
began = time.perf_counter()
source = open_file(ImportRequest("orders", Path(sys.argv[1])))
options = ReportOptions(period="month", active_window_days=365).checked()
data = prepare(source, options)
periods = periods_of(data, options)
upto = data.purchases.filter(data.purchases.order_date <= data.as_of)
cohorts = frame_of(cohort_table(upto, grain="month", first=data.first, as_of=data.as_of))
rfm = frame_of(customer_summary(upto, as_of=data.as_of, time_unit_days=1))
source.close()
seconds = time.perf_counter() - began
rows = periods[["period", "customers_start", "customers_end", "new_customers", "retained"]]
buyers = (cohorts.active_share * cohorts.cohort_size).round().astype("int64")
last = cohorts.groupby("cohort").tail(1)
print(json.dumps({"seconds": seconds, "rows": {
    "periods": rows.astype(str).values.tolist(),
    "cohort_cells": [len(cohorts), int(buyers.sum())],
    "cohort_revenue": float((last.revenue_per_member_cumulative * last.cohort_size).sum()),
    "rfm": [len(rfm), int(rfm.frequency.sum()), float(rfm.recency.sum()), float(rfm["T"].sum()),
            float(rfm.monetary_value.sum())],
}}))
"""

FULL = """
import json, sys, time
from pathlib import Path
from holdfast.services.ingest import ImportRequest
from holdfast.services.metrics import ReportOptions
from holdfast.services.reports import build_report
from holdfast.services.sources import open_file
import ibis.backends.duckdb  # noqa: F401  (the backend open_file loads: an import)
began = time.perf_counter()
source = open_file(ImportRequest("orders", Path(sys.argv[1])))
build_report(source, ReportOptions(period="month", active_window_days=365))
source.close()
print(json.dumps({"seconds": time.perf_counter() - began, "rows": []}))
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
net = (orders.amount - orders.refunded).astype("float64").values
day = orders.ordered_at.dt.tz_localize(None).dt.normalize()
codes, _ = pd.factorize(orders.customer_id)
values = day.values

# retention: customers with an order in [b - 365 days, b) at every month boundary b
first = pd.Series(values).groupby(codes).transform("min").values
months = pd.period_range(day.min(), day.max(), freq="M")
window = np.timedelta64(365, "D")
last_day = day.max() + pd.Timedelta(days=1)
def active(boundary):
    b = np.datetime64(boundary)
    return np.unique(codes[(values >= b - window) & (values < b)])
periods = []
for month in months:
    start = month.start_time
    end = min(month.end_time.normalize() + pd.Timedelta(days=1), last_day)
    s, e = active(start), active(end)
    new = np.unique(codes[(first >= np.datetime64(start)) & (first < np.datetime64(end))])
    kept = np.intersect1d(s, e, assume_unique=True)
    periods.append([str(month), str(len(s)), str(len(e)), str(len(new)), str(len(kept))])

# cohorts: spend per customer and month, the acquisition month, every age to the last month
month_no = (day.dt.year * 12 + day.dt.month - 1).values
spend = pd.DataFrame({"c": codes, "m": month_no, "net": net}).groupby(["c", "m"]).net.sum()
spend = spend.reset_index()
spend["cohort"] = spend.groupby("c").m.transform("min")
spend["age"] = spend.m - spend.cohort
cells = spend.groupby(["cohort", "age"]).agg(buyers=("c", "size"), revenue=("net", "sum"))
sizes = spend[spend.age == 0].groupby("cohort").size()
last_month = int(month_no.max())
grid = pd.MultiIndex.from_tuples(
    [(c, a) for c in sizes.index for a in range(last_month - c + 1)], names=["cohort", "age"])
cells = cells.reindex(grid, fill_value=0).reset_index()
cells["size"] = cells.cohort.map(sizes)
cells["active_share"] = cells.buyers / cells["size"]
cells["revenue_per_member_cumulative"] = cells.groupby("cohort").revenue.cumsum() / cells["size"]
final = cells.groupby("cohort").tail(1)

# RFM summary in days: purchase days per customer, first and last, repeat spend
days = pd.DataFrame({"c": codes, "d": values, "net": net}).groupby(["c", "d"]).net.sum()
days = days.reset_index()
per = days.groupby("c").agg(first=("d", "min"), last=("d", "max"), n=("d", "size"),
                            total=("net", "sum"))
first_spend = days.drop_duplicates("c").set_index("c").net
as_of = values.max()
frequency = per.n - 1
recency = (per["last"] - per["first"]).dt.days.astype("float64")
T = ((as_of - per["first"]) / np.timedelta64(1, "D")).astype("float64")
monetary = np.where(frequency > 0, (per.total - first_spend) / frequency.clip(lower=1), 0.0)
seconds = time.perf_counter() - began
print(json.dumps({"seconds": seconds, "rows": {
    "periods": periods,
    "cohort_cells": [len(cells), int(cells.buyers.sum())],
    "cohort_revenue": float((final.revenue_per_member_cumulative * final["size"]).sum()),
    "rfm": [len(per), int(frequency.sum()), float(recency.sum()), float(T.sum()),
            float(monetary.sum())],
}}))
"""


def same(ours: dict, peer: dict) -> bool:
    """Both sides' numbers agree (counts exactly, float totals to 1e-9 relative)."""
    if ours["periods"] != peer["periods"] or ours["cohort_cells"] != peer["cohort_cells"]:
        return False
    floats = [(ours["cohort_revenue"], peer["cohort_revenue"])]
    floats += list(zip(ours["rfm"], peer["rfm"], strict=True))
    return all(math.isclose(a, b, rel_tol=1e-9) for a, b in floats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, action="append", help="order counts (repeatable)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-peer", action="store_true", help="holdfast alone")
    parser.add_argument("--no-full", action="store_true", help="skip the whole report")
    args = parser.parse_args()
    sizes = args.orders or [1_000_000, 10_000_000]
    peer = None if args.no_peer else PANDAS
    full = None if args.no_full else ("whole report s", FULL)
    compare(sizes, args.runs, HOLDFAST, peer, same, extra=full)


if __name__ == "__main__":
    main()
