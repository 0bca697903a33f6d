"""Benchmark: holdfast.models against lifetimes, fit and predictions, in the same run.

Simulated customers (seeded numpy, continuous time, so identical rows are rare and row
compression does not help holdfast): BG/NBD at r=0.243, alpha=4.414, a=0.793, b=2.426 and
Pareto/NBD at r=0.553, alpha=10.58, s=0.606, beta=11.67 (the CDNOW estimates), ages uniform in
[19.5, 78] weeks. Each case runs in a fresh subprocess: the median of --repeats timed runs
(wall clock, and the process's CPU time, which a machine shared with other jobs disturbs
less), then one more run under tracemalloc for the peak memory the fit allocates (numpy and
pandas buffers are traced), plus the process's peak RSS.

    python benchmarks/bench_models.py                      # 10k, 100k, 1M vs lifetimes; 10M
    python benchmarks/bench_models.py --sizes 10000 --big 0 --repeats 1   # a quick look
    python benchmarks/bench_models.py --daily --no-lifetimes --sizes 1000000  # day-level data

lifetimes' Pareto/NBD (Nelder-Mead) at 1M takes minutes: it runs once (--lifetimes-pareto-1m,
the default) or, with --no-lifetimes-pareto-1m, is extrapolated linearly from 100k and labelled.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PARETO = {"r": 0.553, "alpha": 10.58, "s": 0.606, "beta": 11.67}
T_MAX = 78.0


def simulate(model: str, n: int, seed: int = 0, daily: bool = False) -> dict[str, np.ndarray]:
    """Seeded customers of the model's story (frequency, recency, T) in weeks; continuous time,
    or (``daily``) rounded to whole days as real order dates are, so identical rows repeat."""
    rng = np.random.default_rng(seed)
    T = rng.uniform(0.25 * T_MAX, T_MAX, n)
    if model == "bgnbd":
        lam = rng.gamma(BG["r"], 1.0 / BG["alpha"], n)
        last = rng.geometric(rng.beta(BG["a"], BG["b"], n))
        total = rng.poisson(lam * T)
        x = np.minimum(total, last)
        tx = np.where(x > 0, rng.beta(np.maximum(x, 1), np.maximum(total - x + 1, 1)) * T, 0.0)
    else:
        lam = rng.gamma(PARETO["r"], 1.0 / PARETO["alpha"], n)
        mu = rng.gamma(PARETO["s"], 1.0 / PARETO["beta"], n)
        alive = np.minimum(rng.exponential(1.0 / mu), T)
        x = rng.poisson(lam * alive)
        tx = np.where(x > 0, rng.beta(np.maximum(x, 1), 1.0) * alive, 0.0)
    if daily:
        T = np.round(T * 7.0) / 7.0
        tx = np.minimum(np.round(tx * 7.0) / 7.0, T)
    return {"x": x.astype(float), "tx": tx, "T": T}


# ----------------------------------------------------------------------------- child process


def _holdfast(model: str):
    from holdfast.models import bgnbd, paretonbd

    module = bgnbd if model == "bgnbd" else paretonbd
    fitter = bgnbd.BetaGeo if model == "bgnbd" else paretonbd.ParetoNBD

    def fit(d):
        return fitter().fit(d["x"], d["tx"], d["T"]).params

    def predict(params, d):
        module.conditional_expected_purchases(params, 39.0, d["x"], d["tx"], d["T"])
        module.p_alive(params, d["x"], d["tx"], d["T"])

    return fit, predict


def _lifetimes(model: str):
    warnings.simplefilter("ignore")  # lifetimes predates pandas 3 and numpy 2
    import lifetimes

    cls = lifetimes.BetaGeoFitter if model == "bgnbd" else lifetimes.ParetoNBDFitter
    fitted = {}

    def fit(d):
        fitted["m"] = cls().fit(d["x"], d["tx"], d["T"])
        return fitted["m"].params_.to_dict()

    def predict(params, d):
        m = fitted["m"]
        m.conditional_expected_number_of_purchases_up_to_time(39.0, d["x"], d["tx"], d["T"])
        m.conditional_probability_alive(d["x"], d["tx"], d["T"])

    return fit, predict


def child(library: str, model: str, path: str, repeats: int) -> dict:
    data = dict(np.load(path))
    fit, predict = (_holdfast if library == "holdfast" else _lifetimes)(model)
    fit_times, predict_times, fit_cpu, predict_cpu = [], [], [], []
    params = {}
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        params = fit(data)
        fit_times.append(time.perf_counter() - start)
        fit_cpu.append(time.process_time() - cpu)
        start, cpu = time.perf_counter(), time.process_time()
        predict(params, data)
        predict_times.append(time.perf_counter() - start)
        predict_cpu.append(time.process_time() - cpu)
    tracemalloc.start()
    fit(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "fit": statistics.median(fit_times),
        "predict": statistics.median(predict_times),
        "fit_cpu": statistics.median(fit_cpu),
        "predict_cpu": statistics.median(predict_cpu),
        "params": {k: float(v) for k, v in params.items()},
        "fit_peak_mib": peak / 2**20,
        "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "data_mib": sum(a.nbytes for a in data.values()) / 2**20,
    }


# ----------------------------------------------------------------------------- parent


def run_case(library: str, model: str, path: Path, repeats: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", library, model, str(path), str(repeats)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _max_rel(a: dict, b: dict) -> float:
    names = {"v": "gamma"}
    return max(abs(a[k] - b[names.get(k, k)]) / abs(b[names.get(k, k)]) for k in a)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--big", type=int, default=10_000_000, help="holdfast alone; 0 skips")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--lifetimes-pareto-1m", action=argparse.BooleanOptionalAction, default=True
    )
    parser.add_argument("--daily", action="store_true", help="times rounded to whole days")
    parser.add_argument("--no-lifetimes", action="store_true", help="holdfast alone")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in [*args.sizes, *([args.big] if args.big else [])]:
            for model in ("bgnbd", "paretonbd"):
                path = Path(tmp) / f"{model}_{n}.npz"
                np.savez(path, **simulate(model, n, daily=args.daily))
                ours = run_case("holdfast", model, path, args.repeats)
                theirs, note = None, ""
                if n in args.sizes and not args.no_lifetimes:
                    slow = model == "paretonbd" and n >= 1_000_000
                    if slow and not args.lifetimes_pareto_1m:
                        note = "lifetimes extrapolated x10 from 100k"
                    else:
                        reps = 1 if (slow or n >= 1_000_000) else args.repeats
                        theirs = run_case("lifetimes", model, path, reps)
                        if reps == 1:
                            note = "lifetimes run once"
                rows.append((model, n, ours, theirs, note))
                print(f"done {model} {n}", file=sys.stderr, flush=True)
    _print(rows)


def _print(rows) -> None:
    print(
        "| model | customers | holdfast fit s | lifetimes fit s | fit ratio | holdfast predict s "
        "| lifetimes predict s | predict ratio | max rel. param diff | holdfast fit peak MiB "
        "| lifetimes fit peak MiB | holdfast RSS MiB | fit ratio, CPU time | notes |"
    )
    print("|" + "---|" * 14)
    by_key = {(m, n): (o, t) for m, n, o, t, _ in rows}
    for model, n, ours, theirs, note in rows:
        if theirs is None and note:
            base = by_key.get((model, n // 10), (None, None))[1]
            if base is not None:
                theirs = {k: base[k] * 10 for k in ("fit", "predict", "fit_cpu")} | {
                    "params": None,
                    "fit_peak_mib": base["fit_peak_mib"] * 10,
                }
        name = "BG/NBD" if model == "bgnbd" else "Pareto/NBD"
        cpu = "-"
        if theirs is not None and theirs.get("fit_cpu") and ours.get("fit_cpu"):
            cpu = f"{theirs['fit_cpu'] / ours['fit_cpu']:.0f}x"
        if theirs is None:
            cells = ["-"] * 6
        else:
            diff = _max_rel(ours["params"], theirs["params"]) if theirs.get("params") else None
            cells = [
                f"{theirs['fit']:.3g}",
                f"{theirs['fit'] / ours['fit']:.0f}x",
                f"{theirs['predict']:.3g}",
                f"{theirs['predict'] / ours['predict']:.1f}x",
                f"{diff:.1e}" if diff is not None else "-",
                f"{theirs['fit_peak_mib']:.0f}",
            ]
        print(
            f"| {name} | {n:,} | {ours['fit']:.3g} | {cells[0]} | {cells[1]} | "
            f"{ours['predict']:.3g} | {cells[2]} | {cells[3]} | {cells[4]} | "
            f"{ours['fit_peak_mib']:.0f} | {cells[5]} | {ours['rss_mib']:.0f} | {cpu} | {note} |"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))))
    else:
        main()
