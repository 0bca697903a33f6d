"""Time ``write_run`` alone (the write-back step of ``holdfast score``) on synthetic scores.

Brings the store at ``--url`` to the code's newest revision, makes sure ``--rows`` customers
exist, then writes ``--repeat`` runs of ``--rows`` scores each, timing every write and
removing each run again (outside the timing), so every write sees the same table.

    python benchmarks/bench_write_run.py --url postgresql+psycopg://postgres@127.0.0.1/hf_wt8
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

import numpy as np
import pandas as pd
import sqlalchemy as sa

from holdfast.services.segments.write import write_run
from holdfast.store.engine import create_store_engine
from holdfast.store.migrate import upgrade

SEGMENTS = ("Champions", "Loyal", "At risk", "Lost", "New")
STAGES = ("new", "active", "at risk", "lapsed", "churned")


def ensure_customers(engine: sa.Engine, rows: int) -> np.ndarray:
    """The ids of the first ``rows`` customers, creating the missing ones."""
    with engine.begin() as conn:
        have = conn.exec_driver_sql("SELECT count(*) FROM customers").scalar_one()
        if have < rows:
            conn.execute(
                sa.text(
                    "INSERT INTO customers (external_id) "
                    "SELECT 'bench-' || g FROM generate_series(:a, :b) g"
                ),
                {"a": have + 1, "b": rows},
            )
        ids = conn.exec_driver_sql(f"SELECT id FROM customers ORDER BY id LIMIT {rows}").all()
    return np.array([r[0] for r in ids], dtype=np.int64)


def synthetic_scores(rows: int, seed: int = 7) -> pd.DataFrame:
    """A score frame shaped like the scoring step's, random but valid."""
    rng = np.random.default_rng(seed)
    days = rng.integers(1, 400, rows)
    return pd.DataFrame(
        {
            "recency_days": rng.integers(0, 700, rows),
            "orders": rng.integers(1, 30, rows),
            "spend": rng.gamma(2.0, 40.0, rows).round(2),
            "r_score": rng.integers(1, 6, rows),
            "f_score": rng.integers(1, 6, rows),
            "m_score": rng.integers(1, 6, rows),
            "segment": rng.choice(SEGMENTS, rows),
            "stage": rng.choice(STAGES, rows),
            "p_alive": rng.random(rows),
            "expected_purchases": rng.gamma(1.0, 1.0, rows),
            "predicted_value": rng.gamma(2.0, 30.0, rows),
            "expected_next_order": pd.Timestamp("2025-01-01") + pd.to_timedelta(days, unit="D"),
            "vip": rng.random(rows) < 0.05,
            "recommendations": np.where(rng.random(rows) < 0.5, '["p1", "p2"]', None),
        }
    )


def remove_runs(engine: sa.Engine) -> None:
    """Delete every run and its scores (and the per-run partitions, if any)."""
    with engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE customer_scores")
        parts = conn.exec_driver_sql(
            "SELECT relname FROM pg_class WHERE relname ~ '^customer_scores_run_[0-9]+$' "
            "AND relkind = 'r'"
        ).all()
        for (name,) in parts:
            conn.exec_driver_sql(f"DROP TABLE {name}")
        conn.exec_driver_sql("DELETE FROM score_runs")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE customer_scores")
        conn.exec_driver_sql("VACUUM ANALYZE score_runs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    upgrade(args.url)
    engine = create_store_engine(args.url)
    ids = ensure_customers(engine, args.rows)
    scores = synthetic_scores(args.rows)
    times = []
    for i in range(args.repeat):
        remove_runs(engine)
        started = time.perf_counter()
        write_run(
            engine,
            as_of=dt.date(2025, 1, 1) + dt.timedelta(days=i),
            model=None,
            parameters={},
            settings={},
            note="bench",
            scores=scores,
            customer_ids=ids,
            scale=100,
        )
        times.append(time.perf_counter() - started)
        print(f"write_run {args.rows} rows: {times[-1]:.2f} s", flush=True)
    remove_runs(engine)
    engine.dispose()
    print(f"median {statistics.median(times):.2f} s over {len(times)}")


if __name__ == "__main__":
    main()
