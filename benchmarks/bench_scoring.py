"""Benchmark customer scoring (``holdfast score``) on 1 M customers and basket rules on 10 M
order lines.

Run from the repository root::

    python benchmarks/bench_scoring.py                          # 1 M customers, 10 M lines, 3 runs
    python benchmarks/bench_scoring.py --customers 100000 --lines 1000000 --runs 1   # quick

The shops are ``holdfast simulate`` shops (seed 1) written once to ``benchmarks/data/``; the
scoring shop is imported once into a SQLite store there (outside the timing). Each measurement
is a fresh process: scoring times the whole ``score()`` call (reading the store's narrow rows
into an in-process DuckDB, RFM values, BG/NBD + Gamma-Gamma fit, predictions, basket rules
and recommendations, segments and stages, write-back of one row per customer) for a new
as-of date each run, with the time of each step; basket rules time ``basket_rules`` on
DuckDB over the order-lines Parquet file (reading included). Peak memory is the process's
maximum resident set (wait4).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"

SCORE = """
import datetime as dt, json, sys, time
from holdfast.services.scoring import score
marks = []
began = time.perf_counter()
result = score(sys.argv[1], dt.date.fromisoformat(sys.argv[2]),
               on_step=lambda name: marks.append((name, time.perf_counter())))
end = time.perf_counter()
steps = {}
for (name, at), (_, nxt) in zip(marks, marks[1:] + [("end", end)]):
    steps[name] = round(nxt - at, 2)
steps["opening the store"] = round(marks[0][1] - began, 2)
line = f"{result.customers:,} customers, model {result.model}, created {result.created}"
print(json.dumps({"seconds": end - began, "line": line, "steps": steps}))
"""

RULES = """
import json, sys, time
import ibis
from holdfast.analytics.baskets import basket_rules
began = time.perf_counter()
con = ibis.duckdb.connect()
path = sys.argv[1].replace("'", "''")
lines = con.sql(f"SELECT order_id, product_id FROM read_parquet('{path}')")
rules = basket_rules(lines, min_support=0.001, min_confidence=0.05).to_pyarrow()
seconds = time.perf_counter() - began
print(json.dumps({"seconds": seconds, "line": f"{rules.num_rows:,} rules", "steps": {}}))
"""


def child(code: str, *args: str) -> tuple[float, float, str, dict]:
    """In-process seconds, peak RSS (MiB), summary line and step times of a fresh process."""
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out = process.stdout.read()  # type: ignore[union-attr]
    err = process.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark child failed: {err.decode()}")
    result = json.loads(out.decode().strip().splitlines()[-1])
    return result["seconds"], usage.ru_maxrss / 1024, result["line"], result["steps"]


def holdfast_cli(*args: str) -> None:
    """Run the holdfast command (quietly) or stop with its error."""
    done = subprocess.run(
        [sys.executable, "-c", "from holdfast.cli import main; main()", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"holdfast {' '.join(args)} failed: {done.stderr.strip()}")


def scoring_store(customers: int) -> tuple[str, dt.date]:
    """A simulated shop of ``customers`` imported into a SQLite store (made once); its URL and
    last day."""
    folder = DATA / f"scoring-{customers}"
    store = folder / "holdfast.db"
    if not store.exists():
        folder.mkdir(parents=True, exist_ok=True)
        holdfast_cli(
            "simulate",
            "-o",
            str(folder),
            "--customers",
            str(customers),
            "--seed",
            "1",
            "-q",
            "--force",
        )
        partial = folder / "holdfast.db.partial"
        url = f"sqlite:///{partial}"
        for kind, file in (
            ("customers", "customers.parquet"),
            ("orders", "orders.parquet"),
            ("order-lines", "order_lines.parquet"),
        ):
            holdfast_cli("import", kind, str(folder / file), "--db", url)
        os.replace(partial, store)
    period = json.loads((folder / "truth.json").read_text())["period"]
    end = dt.datetime.fromisoformat(period["end"].replace("Z", "+00:00")).date()
    return f"sqlite:///{store}", end - dt.timedelta(days=1)


def postgres_store(url: str, customers: int) -> str:
    """The PostgreSQL store at ``url`` with the scoring shop imported (once)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            has = conn.exec_driver_sql("SELECT to_regclass('order_lines') IS NOT NULL").scalar()
            lines = conn.exec_driver_sql("SELECT COUNT(*) FROM order_lines").scalar() if has else 0
    finally:
        engine.dispose()
    if not lines:
        folder = DATA / f"scoring-{customers}"
        for kind, file in (
            ("customers", "customers.parquet"),
            ("orders", "orders.parquet"),
            ("order-lines", "order_lines.parquet"),
        ):
            holdfast_cli("import", kind, str(folder / file), "--db", url)
    return url


def forget_run(url: str, as_of: str) -> None:
    """Delete an earlier benchmark's run for ``as_of`` (outside the timing) so it scores anew."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "DELETE FROM customer_scores WHERE run_id IN "
                "(SELECT id FROM score_runs WHERE as_of = :d)"
            ),
            {"d": as_of},
        )
        conn.execute(sa.text("DELETE FROM score_runs WHERE as_of = :d"), {"d": as_of})
    engine.dispose()


def lines_file(lines: int) -> Path:
    """Order lines of a simulated shop with about ``lines`` lines (made once)."""
    orders = max(1000, round(lines / 2.25))  # the simulator draws about 2.25 lines per order
    folder = DATA / f"baskets-{orders}"
    path = folder / "order_lines.parquet"
    if not path.exists():
        holdfast_cli(
            "simulate", "-o", str(folder), "--orders", str(orders), "--seed", "1", "-q", "--force"
        )
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--pg",
        metavar="URL",
        help="also score a PostgreSQL store at URL (the same shop is imported into it if empty)",
    )
    args = parser.parse_args()
    import pyarrow.parquet as pq

    url, last = scoring_store(args.customers)
    stores = {"SQLite": url}
    if args.pg:
        stores["PostgreSQL"] = postgres_store(args.pg, args.customers)
    results = []
    for database, store_url in stores.items():
        for run in range(args.runs):
            as_of = (last - dt.timedelta(days=run)).isoformat()
            forget_run(store_url, as_of)
            seconds, rss, line, steps = child(SCORE, store_url, as_of)
            case = f"score ({database})"
            results.append(
                {"case": case, "as_of": as_of, "seconds": seconds, "rss": rss, "line": line}
                | {"steps": steps}
            )
            print(json.dumps(results[-1]), flush=True)
    path = lines_file(args.lines)
    n_lines = pq.read_metadata(path).num_rows
    for _ in range(args.runs):
        seconds, rss, line, steps = child(RULES, str(path))
        results.append(
            {
                "case": "basket rules",
                "lines": n_lines,
                "seconds": seconds,
                "rss": rss,
                "line": line,
                "steps": steps,
            }
        )
        print(json.dumps(results[-1]), flush=True)
    print(
        f"\nmachine: {platform.platform()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    for case in (*(f"score ({d})" for d in stores), "basket rules"):
        times = [r["seconds"] for r in results if r["case"] == case]
        peaks = [r["rss"] for r in results if r["case"] == case]
        print(
            f"{case}: median {statistics.median(times):.1f} s "
            f"(runs {', '.join(f'{t:.1f}' for t in times)}), peak RSS {max(peaks):.0f} MiB"
        )


if __name__ == "__main__":
    main()
