"""Benchmark: the Gamma-Gamma spend model fitted by holdfast and by lifetimes, in one run.

Simulated repeat customers (seeded numpy) from the CDNOW estimates of Fader & Hardie's note
025, p = 6.25, q = 3.74, gamma = 15.44: x repeat orders (geometric from 1, mean 3),
each worth Gamma(p, nu) with nu ~ Gamma(q, gamma), and m_x the mean of the x values. Spend
is continuous, so no two customers share a row and compression cannot help either side.
Times are wall clock in this process around the fit alone (imports and data excluded),
holdfast the median of ``--repeats`` fits, lifetimes one fit (it takes minutes at 1 M);
both sides' estimates are compared before a ratio is printed.

    python benchmarks/bench_spend.py                          # 100 k and 1 M vs lifetimes; 10 M
    python benchmarks/bench_spend.py --sizes 100000 --big 0   # a quick look
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np

TRUTH = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def simulate(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Repeat customers' order counts x and mean order values m_x."""
    rng = np.random.default_rng(seed)
    x = rng.geometric(1 / 3, n)
    nu = rng.gamma(TRUTH["q"], 1 / TRUTH["gamma"], n)
    # the sum of x Gamma(p, nu) values is Gamma(p x, nu)
    m = rng.gamma(TRUTH["p"] * x, 1 / nu) / x
    return x.astype(float), m


def fit_holdfast(x: np.ndarray, m: np.ndarray, repeats: int) -> tuple[float, dict[str, float]]:
    from holdfast.models.gammagamma import GammaGamma

    times, params = [], {}
    for _ in range(repeats):
        began = time.perf_counter()
        params = GammaGamma().fit(x, m).params
        times.append(time.perf_counter() - began)
    return statistics.median(times), params


def fit_lifetimes(x: np.ndarray, m: np.ndarray) -> tuple[float, dict[str, float]]:
    import pandas as pd
    from lifetimes import GammaGammaFitter

    frequency, spend = pd.Series(x), pd.Series(m)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        began = time.perf_counter()
        fitted = GammaGammaFitter().fit(frequency, spend)
        seconds = time.perf_counter() - began
    found = fitted.params_
    return seconds, {"p": found["p"], "q": found["q"], "gamma": found["v"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--big", type=int, default=10_000_000, help="holdfast alone (0: skip)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print("| customers | holdfast fit s | lifetimes fit s | ratio | max rel. param diff |")
    print("|---:|---:|---:|---:|---:|")
    for n in args.sizes:
        x, m = simulate(n)
        ours, params = fit_holdfast(x, m, args.repeats)
        theirs, peer = fit_lifetimes(x, m)
        diff = max(abs(params[k] - peer[k]) / abs(peer[k]) for k in params)
        print(f"| {n:,} | {ours:.3f} | {theirs:.2f} | {theirs / ours:.0f}× | {diff:.1e} |")
    if args.big:
        x, m = simulate(args.big)
        ours, params = fit_holdfast(x, m, args.repeats)
        found = ", ".join(f"{k} {v:.3f}" for k, v in params.items())
        print(f"| {args.big:,} | {ours:.3f} | – | – | – |  ({found})")


if __name__ == "__main__":
    main()
