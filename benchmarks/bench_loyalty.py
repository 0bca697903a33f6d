"""Benchmark the points ledger: earn/redeem throughput and latency with concurrent clients,
and the expiry job over a million accounts, on SQLite and PostgreSQL.

Run from the repository root::

    python benchmarks/bench_loyalty.py                                   # both stores, 3 runs
    python benchmarks/bench_loyalty.py --stores sqlite --accounts 100000 --runs 1   # quick
    python benchmarks/bench_loyalty.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test

Each store is new (a SQLite file in a temporary folder, a scratch PostgreSQL database) and
migrated. **Clients** are forked processes with an Engine each; every client runs ``--ops``
calls alternating ``loyalty.earn`` (10 points) and ``loyalty.redeem`` (7 points) with its own
idempotency keys on customers drawn from ``--customers`` (seeded), so clients contend for
the same accounts now and then. Every customer starts with 10 000 points, so redemptions
are rarely refused. Latency is per call (the service's whole transaction, commit included);
throughput is all calls over the time from the first client's first call to the last
client's last call (clients connect first, then a barrier releases them together).
**Expiry**: ``--accounts`` customers, each with one credited lot already past its expiry,
written by plain SQL; then ``loyalty.expire_points`` runs once (timed, the result checked:
every point expired, every balance 0) and again (timed: nothing left to do).
Every figure is the median over ``--runs`` runs. Results are printed as JSON lines and as a
Markdown table.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from holdfast.errors import Refused
from holdfast.services import loyalty
from holdfast.store.engine import create_store_engine
from holdfast.store.migrate import upgrade

CTX = multiprocessing.get_context("fork")
START = datetime(2026, 1, 1)
DEFAULT_PG = os.environ.get(
    "HOLDFAST_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@contextmanager
def fresh_store(kind: str, pg_server: str) -> Iterator[str]:
    """A migrated, empty store of ``kind``, removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="hf-bench-") as folder:
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
            upgrade(url)
            yield url
        return
    name = f"hf_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(pg_server).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def add_customers(url: str, count: int) -> None:
    """``count`` customers c0000000 … with ids 1 … count, by one INSERT … SELECT."""
    engine = create_store_engine(url)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(
                sa.text(
                    "INSERT INTO customers (external_id) SELECT 'c' || lpad(i::text, 7, '0') "
                    "FROM generate_series(1, :n) AS i"
                ),
                {"n": count},
            )
        else:
            conn.execute(
                sa.text(
                    "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < :n) "
                    "INSERT INTO customers (external_id) SELECT 'c' || printf('%07d', i) FROM s"
                ),
                {"n": count},
            )
    engine.dispose()


def _client(
    url: str, client: int, ops: int, customers: int, seed: int, ready: object, out: object
) -> None:
    """One client process: ``ops`` alternating earn and redeem calls, latencies to ``out``."""
    code = 1
    try:
        engine = create_store_engine(url)
        draw = random.Random(seed * 1000 + client)
        loyalty.balance(engine, "c0000001")  # connect before the clock starts
        ready.wait(600)  # type: ignore[attr-defined]
        latencies = []
        refused = 0
        first = time.perf_counter()
        for n in range(ops):
            customer = f"c{draw.randint(1, customers):07d}"
            key = f"bench:{client}:{n}"
            began = time.perf_counter()
            try:
                if n % 2 == 0:
                    loyalty.earn(engine, customer, 10, key, now=START)
                else:
                    loyalty.redeem(engine, customer, 7, key, now=START)
            except Refused:  # too few points: counted, as a shop would see it
                refused += 1
            latencies.append(time.perf_counter() - began)
        last = time.perf_counter()
        engine.dispose()
        out.put((first, last, latencies, refused))  # type: ignore[attr-defined]
        code = 0
    finally:
        out.close()  # type: ignore[attr-defined]
        out.join_thread()  # type: ignore[attr-defined]
        os._exit(code)


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0–1), linear between closest ranks."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def run_clients(url: str, clients: int, ops: int, customers: int, seed: int) -> dict[str, float]:
    """One measurement of ``clients`` concurrent clients."""
    out = CTX.Queue()
    ready = CTX.Barrier(clients)
    children = [
        CTX.Process(target=_client, args=(url, c, ops, customers, seed, ready, out))
        for c in range(clients)
    ]
    for child in children:
        child.start()
    results = [out.get(timeout=3600) for _ in children]
    for child in children:
        child.join()
    if any(child.exitcode != 0 for child in children):
        raise SystemExit("a client failed")
    wall = max(r[1] for r in results) - min(r[0] for r in results)  # CLOCK_MONOTONIC
    latencies = [x for _, _, values, _ in results for x in values]
    check_ledger(url)
    return {
        "ops_per_s": len(latencies) / wall,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "refused": sum(r[3] for r in results),
    }


def check_ledger(url: str) -> None:
    """Stop when a balance differs from the sum of its entries or is negative."""
    engine = create_store_engine(url)
    with engine.connect() as conn:
        broken = conn.execute(
            sa.text(
                "SELECT count(*) FROM loyalty_accounts a WHERE a.balance < 0 OR a.balance <> "
                "(SELECT COALESCE(SUM(points), 0) FROM loyalty_entries e "
                "WHERE e.customer_id = a.customer_id)"
            )
        ).scalar_one()
    engine.dispose()
    if broken:
        raise SystemExit(f"{broken} accounts out of balance")


def seed_lots(url: str, points: int, expires: datetime | None) -> None:
    """One credit of ``points`` per customer, earned 400 days before START, expiring at
    ``expires``: account, entry and lot, consistent as the ledger keeps them."""
    earned = START - timedelta(days=400)
    engine = create_store_engine(url)
    with engine.begin() as conn:
        params = {"p": points, "e": earned, "x": expires}
        conn.execute(
            sa.text(
                "INSERT INTO loyalty_accounts (customer_id, balance) SELECT id, :p FROM customers"
            ),
            params,
        )
        conn.execute(
            sa.text(
                "INSERT INTO loyalty_entries (id, customer_id, kind, points, reference, "
                "effective_at) SELECT id, id, 'earn', :p, 'bench', :e FROM customers"
            ),
            params,
        )
        conn.execute(
            sa.text(
                "INSERT INTO loyalty_lots (entry_id, customer_id, points, remaining, earned_at, "
                "expires_at) SELECT id, id, :p, :p, :e, :x FROM customers"
            ),
            params,
        )
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('loyalty_entries', 'id'), "
                "(SELECT max(id) FROM loyalty_entries))"
            )
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()


def run_expiry(url: str, accounts: int) -> dict[str, float]:
    """Time the expiry job over ``accounts`` due accounts, then its rerun."""
    add_customers(url, accounts)
    seed_lots(url, 100, START - timedelta(days=35))
    engine = create_store_engine(url)
    began = time.perf_counter()
    first = loyalty.expire_points(engine, as_of=START)
    seconds = time.perf_counter() - began
    began = time.perf_counter()
    again = loyalty.expire_points(engine, as_of=START)
    rerun = time.perf_counter() - began
    engine.dispose()
    if (first.customers, first.points, again.points) != (accounts, 100 * accounts, 0):
        raise SystemExit(f"expiry did not expire every point once: {first}, {again}")
    check_ledger(url)
    return {
        "seconds": seconds,
        "accounts_per_s": accounts / seconds,
        "rerun_seconds": rerun,
    }


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    """The median of every figure over the runs."""
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL server to create databases on")
    parser.add_argument("--clients", default="1,4,8")
    parser.add_argument("--ops", type=int, default=500, help="calls per client")
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-expiry", action="store_true")
    args = parser.parse_args()
    print(
        json.dumps(
            {
                "machine": platform.platform(),
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "args": vars(args),
            }
        ),
        flush=True,
    )
    table = []
    for kind in args.stores.split(","):
        for clients in [int(c) for c in args.clients.split(",")]:
            runs = []
            for run in range(args.runs):
                with fresh_store(kind, args.pg) as url:
                    add_customers(url, args.customers)
                    seed_lots(url, 10_000, None)  # enough that redemptions are rarely short
                    runs.append(
                        run_clients(url, clients, args.ops, args.customers, args.seed + run)
                    )
            figures = median_of(runs)
            each = [round(r["ops_per_s"]) for r in runs]
            line = {"store": kind, "clients": clients, **figures, "runs": each}
            print(json.dumps(line), flush=True)
            table.append(
                f"| {kind} | earn/redeem, {clients} clients × {args.ops} | "
                f"{figures['ops_per_s']:,.0f} calls/s | {figures['p50_ms']:.1f} | "
                f"{figures['p95_ms']:.1f} | {figures['p99_ms']:.1f} |"
            )
        if args.no_expiry:
            continue
        runs = []
        for _ in range(args.runs):
            with fresh_store(kind, args.pg) as url:
                runs.append(run_expiry(url, args.accounts))
        figures = median_of(runs)
        each = [round(r["seconds"], 1) for r in runs]
        line = {"store": kind, "expiry_accounts": args.accounts, **figures, "runs": each}
        print(json.dumps(line), flush=True)
        table.append(
            f"| {kind} | expiry job, {args.accounts:,} due accounts | "
            f"{figures['seconds']:.1f} s ({figures['accounts_per_s']:,.0f} accounts/s); "
            f"rerun {figures['rerun_seconds']:.2f} s | | | |"
        )
    print("\n| store | workload | throughput | p50 ms | p95 ms | p99 ms |")
    print("|---|---|---|---|---|---|")
    print("\n".join(table))


if __name__ == "__main__":
    main()
