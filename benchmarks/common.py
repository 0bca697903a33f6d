"""What the analytics benchmarks share: a fresh child process per measurement, the cached
simulated shop, and the table that puts holdfast and its peer side by side."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def run_child(code: str, *args: str) -> tuple[float, float, object]:
    """In-process seconds, peak RSS (MiB, from ``wait4``) and result rows of a fresh Python
    running ``code`` (which prints one JSON object with ``seconds`` and ``rows`` last)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"child failed:\n{err.decode()}")
    result = json.loads(out.decode().strip().splitlines()[-1])
    return result["seconds"], usage.ru_maxrss / 1024, result["rows"]


def shop(orders: int) -> Path:
    """The Parquet orders file of a simulated shop with about ``orders`` orders (cached)."""
    folder = DATA / f"retention-{orders}"
    path = folder / "orders.parquet"
    if not path.exists():
        from holdfast.simulate import SimulationConfig, simulate_to

        print(f"simulating {orders:,} orders into {folder} …", file=sys.stderr)
        simulate_to(SimulationConfig(orders=orders, seed=7), folder, "parquet", True, force=True)
    return path


def compare(
    sizes: list[int],
    runs: int,
    ours: str,
    peer: str | None,
    agree: Callable[[object, object], bool],
    extra: tuple[str, str] | None = None,
) -> None:
    """Print a Markdown row per shop size: medians of ``runs`` fresh processes of ``ours`` and
    ``peer`` (None: holdfast alone), their peak memory and ratio; ``extra`` is (heading, code)
    of a further holdfast measurement shown in the last column. Stops if the results differ."""
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print()
    heading = (
        "| orders | holdfast s (median) | holdfast peak MiB | pandas s (median) "
        "| pandas peak MiB | ratio |"
    )
    print(heading + (f" {extra[0]} |" if extra else ""))
    print("|---:|---:|---:|---:|---:|---:|" + ("---:|" if extra else ""))
    for size in sizes:
        path = str(shop(size))
        mine = [run_child(ours, path) for _ in range(runs)]
        mine_s = statistics.median(r[0] for r in mine)
        mine_mem = max(r[1] for r in mine)
        last = ""
        if extra:
            last = f" {statistics.median(run_child(extra[1], path)[0] for _ in range(runs)):.2f} |"
        if peer is None:
            print(f"| {size:,} | {mine_s:.2f} | {mine_mem:,.0f} | – | – | – |{last}", flush=True)
            continue
        theirs = [run_child(peer, path) for _ in range(runs)]
        if not agree(mine[0][2], theirs[0][2]):
            raise SystemExit(
                f"results differ:\nholdfast {json.dumps(mine[0][2])}\n"
                f"pandas   {json.dumps(theirs[0][2])}"
            )
        theirs_s = statistics.median(r[0] for r in theirs)
        theirs_mem = max(r[1] for r in theirs)
        print(
            f"| {size:,} | {mine_s:.2f} | {mine_mem:,.0f} | {theirs_s:.2f} | {theirs_mem:,.0f} "
            f"| {theirs_s / mine_s:.1f}× faster |{last}",
            flush=True,
        )
