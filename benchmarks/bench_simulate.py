"""Benchmark ``holdfast simulate``: time and peak memory, and the BG/NBD draw against lifetimes.

Run from the repository root::

    python benchmarks/bench_simulate.py            # 1 M and 10 M orders to Parquet, 1 M to CSV
    python benchmarks/bench_simulate.py --quick    # 100 k orders only

Each shop is written by a fresh ``holdfast simulate`` process, so its peak resident memory
(``wait4`` rusage) is that run's alone. The peer comparison times the per-customer BG/NBD draw
in process: lifetimes' ``generate_data.beta_geometric_nbd_model`` (a Python loop per customer,
frequency/recency summaries only) against holdfast's vectorised draw of every purchase time.
Prints a markdown table; medians of ``--runs`` runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

CLI = "from holdfast.cli import main; main()"


def run_cli(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one ``holdfast simulate`` process."""
    began = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", CLI, "simulate", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - began
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"holdfast simulate {' '.join(args)} failed: {process.stderr.read()}")
    return seconds, usage.ru_maxrss / 1024


def shop_case(orders: int, fmt: str, runs: int) -> dict[str, object]:
    """Median time and memory of writing a shop of about ``orders`` orders."""
    times, peaks, sizes = [], [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "shop"
            seconds, peak = run_cli(
                ["-o", str(out), "--orders", str(orders), "--format", fmt, "--seed", "1", "-q"]
            )
            times.append(seconds)
            peaks.append(peak)
            sizes.append(sum(p.stat().st_size for p in out.iterdir()) / 2**20)
    return {
        "case": f"{orders:,} orders → {fmt}",
        "seconds": statistics.median(times),
        "all": times,
        "peak_mib": max(peaks),
        "disk_mib": sizes[0],
    }


def core_case(customers: int, runs: int) -> dict[str, object]:
    """BG/NBD draws for ``customers``: holdfast (all purchase times) vs lifetimes (summaries)."""
    import numpy as np

    from holdfast.simulate.block import stream
    from holdfast.simulate.clock import build_clock
    from holdfast.simulate.config import SimulationConfig
    from holdfast.simulate.purchases import draw_latent, draw_purchases

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes.generate_data import beta_geometric_nbd_model

    config = SimulationConfig(customers=customers, seasonality=False)
    m = config.bgnbd
    clock = build_clock(config.start, config.end, False, 0.0)
    weeks = (clock.end_us - clock.start_us) / (7 * 86_400e6)

    def ours() -> int:
        latent = draw_latent(stream(1, 1, 0, 0), config, 0, customers, customers, clock)
        return len(draw_purchases(stream(1, 1, 0, 1), latent, clock).time_us)

    def theirs() -> int:
        np.random.seed(1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = beta_geometric_nbd_model(weeks, m.r, m.alpha, m.a, m.b, size=customers)
        return int(frame["frequency"].sum()) + customers

    out = {}
    for name, fn in (("holdfast", ours), ("lifetimes", theirs)):
        times = []
        for _ in range(runs):
            began = time.perf_counter()
            fn()
            times.append(time.perf_counter() - began)
        out[name] = statistics.median(times)
    return {"customers": customers, **out}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per case (median reported)")
    parser.add_argument("--quick", action="store_true", help="100 k orders only")
    args = parser.parse_args()
    cases = (
        [(100_000, "parquet"), (100_000, "csv")]
        if args.quick
        else [(1_000_000, "parquet"), (1_000_000, "csv"), (10_000_000, "parquet")]
    )
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, runs={args.runs}")
    print()
    print("| shop | median s | runs (s) | peak RSS MiB | on disk MiB |")
    print("|---|---:|---|---:|---:|")
    for orders, fmt in cases:
        r = shop_case(orders, fmt, args.runs)
        runs = ", ".join(f"{t:.1f}" for t in r["all"])
        print(
            f"| {r['case']} | {r['seconds']:.1f} | {runs} | {r['peak_mib']:.0f} "
            f"| {r['disk_mib']:.0f} |",
            flush=True,
        )
    print()
    print("| BG/NBD draw, customers | holdfast s | lifetimes s | ratio |")
    print("|---:|---:|---:|---:|")
    for customers in (10_000, 100_000) if not args.quick else (10_000,):
        r = core_case(customers, args.runs)
        ratio = r["lifetimes"] / r["holdfast"]
        print(
            f"| {customers:,} | {r['holdfast']:.3f} | {r['lifetimes']:.2f} | {ratio:,.0f}× |",
            flush=True,
        )


if __name__ == "__main__":
    main()
