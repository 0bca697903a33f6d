"""Benchmark coupons: redemption throughput and latency with concurrent clients (one hot
shared code, and distinct single-use codes), batch generation, and 50 processes racing for
one single-use code, on SQLite and PostgreSQL.

Run from the repository root::

    python benchmarks/bench_coupons.py                              # both stores, 3 runs
    python benchmarks/bench_coupons.py --stores sqlite --runs 1      # quick

Stores, customers and the statistics come from bench_loyalty.py (a new SQLite file or a
scratch PostgreSQL database per run, migrated). **Clients** are forked processes with an
Engine each, released together by a barrier; each makes ``--ops`` calls of
``coupons.redeem`` on its own orders. ``hot``: every call uses one shared code (unlimited
uses), so every redemption waits for the same coupon row lock: the worst case. ``spread``:
each call uses its own single-use code from a batch. Latency is per call (the whole
transaction, commit included); throughput is all calls over the time from the first call
to the last. **Batch**: ``coupons.create_batch`` of ``--batch`` codes. **Race**: 50
processes redeem one single-use code at once; exactly one must win (checked). Every figure
is the median over ``--runs`` runs; results print as JSON lines and a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import time
from decimal import Decimal

import sqlalchemy as sa

from bench_loyalty import DEFAULT_PG, add_customers, fresh_store, median_of, percentile
from holdfast.errors import Refused
from holdfast.services import coupons
from holdfast.services.coupons import CouponSpec
from holdfast.store.engine import create_store_engine

CTX = multiprocessing.get_context("fork")
TOTAL = Decimal("40.00")


def _client(url: str, client: int, codes: list[str], customers: int, ready, out) -> None:  # type: ignore[no-untyped-def]
    code = 1
    try:
        engine = create_store_engine(url)
        coupons.show_coupon(engine, codes[0])  # connect before the clock starts
        ready.wait(600)
        latencies, refused = [], 0
        first = time.perf_counter()
        for n, coupon in enumerate(codes):
            customer = f"c{(client * len(codes) + n) % customers + 1:07d}"
            began = time.perf_counter()
            try:
                coupons.redeem(engine, coupon, customer, f"o-{client}-{n}", order_total=TOTAL)
            except Refused:
                refused += 1
            latencies.append(time.perf_counter() - began)
        last = time.perf_counter()
        engine.dispose()
        out.put((first, last, latencies, refused))
        code = 0
    finally:
        out.close()
        out.join_thread()
        os._exit(code)


def run_clients(url: str, clients: int, plan: list[list[str]], customers: int) -> dict[str, float]:
    """One measurement: client ``i`` redeems the codes ``plan[i]`` in order."""
    out = CTX.Queue()
    ready = CTX.Barrier(clients)
    children = [
        CTX.Process(target=_client, args=(url, c, plan[c], customers, ready, out))
        for c in range(clients)
    ]
    for child in children:
        child.start()
    results = [out.get(timeout=3600) for _ in children]
    for child in children:
        child.join()
    if any(child.exitcode != 0 for child in children):
        raise SystemExit("a client failed")
    wall = max(r[1] for r in results) - min(r[0] for r in results)
    latencies = [x for _, _, values, _ in results for x in values]
    refused = sum(r[3] for r in results)
    if refused:
        raise SystemExit(f"{refused} redemptions refused; every one should succeed")
    _check(url, len(latencies))
    return {
        "ops_per_s": len(latencies) / wall,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
    }


def _check(url: str, redemptions: int) -> None:
    engine = create_store_engine(url)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT count(*) FROM coupon_redemptions").scalar_one()
        uses = conn.exec_driver_sql("SELECT COALESCE(SUM(uses), 0) FROM coupons").scalar_one()
    engine.dispose()
    if rows != redemptions or uses != redemptions:
        raise SystemExit(f"{redemptions} redemptions made, {rows} rows, {uses} uses counted")


def hot(url: str, clients: int, ops: int, customers: int) -> dict[str, float]:
    coupons.create_coupon(url, "HOT", CouponSpec(percent=Decimal(10)))
    return run_clients(url, clients, [["HOT"] * ops for _ in range(clients)], customers)


def spread(url: str, clients: int, ops: int, customers: int) -> dict[str, float]:
    codes = coupons.create_batch(url, clients * ops, "bench", CouponSpec(amount=Decimal(5))).codes
    plan = [codes[c * ops : (c + 1) * ops] for c in range(clients)]
    return run_clients(url, clients, plan, customers)


def batch(url: str, size: int) -> dict[str, float]:
    began = time.perf_counter()
    made = coupons.create_batch(url, size, "big", CouponSpec(percent=Decimal(15)))
    seconds = time.perf_counter() - began
    if len(set(made.codes)) != size:
        raise SystemExit("the batch has duplicate or missing codes")
    return {"seconds": seconds, "codes_per_s": size / seconds}


def race(url: str, customers: int) -> dict[str, float]:
    coupons.create_coupon(url, "ONCE", CouponSpec(amount=Decimal(5), max_uses=1))
    out = CTX.Queue()
    ready = CTX.Barrier(50)
    children = [
        CTX.Process(target=_client, args=(url, c, ["ONCE"], customers, ready, out))
        for c in range(50)
    ]
    for child in children:
        child.start()
    results = [out.get(timeout=600) for _ in children]
    for child in children:
        child.join()
    wall = max(r[1] for r in results) - min(r[0] for r in results)
    won = sum(1 - r[3] for r in results)
    engine = create_store_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT count(*) FROM coupon_redemptions")).scalar_one()
    engine.dispose()
    if (won, rows) != (1, 1):
        raise SystemExit(f"race: {won} winners, {rows} redemption rows")
    return {"seconds": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL server to create databases on")
    parser.add_argument("--clients", default="1,4,8")
    parser.add_argument("--ops", type=int, default=300, help="calls per client")
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    info = {"machine": platform.platform(), "python": platform.python_version()}
    print(json.dumps({**info, "cpus": os.cpu_count(), "args": vars(args)}), flush=True)
    table = []
    for kind in args.stores.split(","):
        for workload in (hot, spread):
            for clients in [int(c) for c in args.clients.split(",")]:
                runs = []
                for _ in range(args.runs):
                    with fresh_store(kind, args.pg) as url:
                        add_customers(url, args.customers)
                        runs.append(workload(url, clients, args.ops, args.customers))
                f = median_of(runs)
                line = {"store": kind, "workload": workload.__name__, "clients": clients, **f}
                print(json.dumps(line), flush=True)
                table.append(
                    f"| {kind} | redeem ({workload.__name__}), {clients} clients × {args.ops} "
                    f"| {f['ops_per_s']:,.0f} calls/s | {f['p50_ms']:.1f} | {f['p95_ms']:.1f} "
                    f"| {f['p99_ms']:.1f} |"
                )
        for name, measure in (
            ("batch", lambda url: batch(url, args.batch)),
            ("race", lambda url: race(url, args.customers)),
        ):
            runs = []
            for _ in range(args.runs):
                with fresh_store(kind, args.pg) as url:
                    add_customers(url, args.customers)
                    runs.append(measure(url))
            f = median_of(runs)
            print(json.dumps({"store": kind, "workload": name, **f}), flush=True)
            if name == "batch":
                text = f"{f['seconds']:.1f} s ({f['codes_per_s']:,.0f} codes/s)"
                table.append(f"| {kind} | batch of {args.batch:,} codes | {text} | | | |")
            else:
                text = f"{f['seconds']:.2f} s, exactly one winner"
                table.append(f"| {kind} | 50 processes, one single-use code | {text} | | | |")
    print("\n| store | workload | throughput | p50 ms | p95 ms | p99 ms |")
    print("|---|---|---|---|---|---|")
    print("\n".join(table))


if __name__ == "__main__":
    main()
