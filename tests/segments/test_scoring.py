"""Scoring into the store on SQLite and PostgreSQL: a synthetic shop scored twice for one date
(nothing changes) and once for another (a run is added), checked with plain SQL; a shop too
small to fit; the database's own guards on the score rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from segment_helpers import write_lines_csv, write_orders_csv

from holdfast.services.ingest import ImportRequest, import_file
from holdfast.services.scoring import STEPS, ScoreOptions, score
from holdfast.simulate import SimulationConfig, simulate_to

AS_OF = dt.date(2024, 12, 31)
EARLIER = dt.date(2024, 6, 30)


def simulated_store(url: str, folder: Path, customers: int = 400) -> None:
    config = SimulationConfig(
        customers=customers, seed=5, start=dt.date(2023, 1, 1), end=dt.date(2024, 12, 31)
    )
    simulate_to(config, folder, "parquet", False, force=True)
    for kind, file in (
        ("customers", "customers.parquet"),
        ("orders", "orders.parquet"),
        ("order-lines", "order_lines.parquet"),
    ):
        import_file(ImportRequest(kind=kind, path=folder / file), url)


def snapshot(url: str) -> tuple[list, list]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        runs = conn.exec_driver_sql(
            "SELECT id, as_of, model, parameters, settings, customers FROM score_runs ORDER BY id"
        ).all()
        rows = conn.exec_driver_sql(
            "SELECT run_id, customer_id, r_score, f_score, m_score, segment, stage, p_alive, "
            "expected_purchases, predicted_value_minor, expected_next_order, vip, "
            "recommendations FROM customer_scores ORDER BY run_id, customer_id"
        ).all()
    engine.dispose()
    return runs, rows


@pytest.fixture
def shop_url(store_url: str, tmp_path: Path) -> str:
    simulated_store(store_url, tmp_path)
    return store_url


def test_rerun_changes_nothing_and_a_new_date_adds_a_run(shop_url):
    steps: list[str] = []
    first = score(shop_url, AS_OF, on_step=steps.append)
    assert first.created and first.model == "BG/NBD" and steps == list(STEPS)
    before = snapshot(shop_url)
    again = score(shop_url, AS_OF)
    assert (again.created, again.run_id, again.customers) == (False, first.run_id, first.customers)
    assert snapshot(shop_url) == before
    other = score(shop_url, EARLIER)
    assert other.created and other.run_id != first.run_id
    runs, rows = snapshot(shop_url)
    assert [str(r.as_of) for r in runs] == [str(AS_OF), str(EARLIER)]
    assert sum(r.run_id == first.run_id for r in rows) == first.customers


def test_scores_hold_every_buyer_once_with_sane_values(shop_url):
    result = score(shop_url, AS_OF)
    engine = sa.create_engine(shop_url)
    with engine.connect() as conn:
        buyers = conn.exec_driver_sql(
            "SELECT COUNT(DISTINCT customer_id) FROM orders WHERE status = 'completed' "
            "AND (refunded_minor < amount_minor OR amount_minor = 0)"
        ).scalar()
        stats = conn.exec_driver_sql(
            "SELECT COUNT(*), SUM(CASE WHEN vip THEN 1 ELSE 0 END), MIN(p_alive), MAX(p_alive), "
            "COUNT(recommendations), COUNT(DISTINCT segment) FROM customer_scores"
        ).one()
    engine.dispose()
    assert result.customers == buyers == stats[0]
    assert stats[1] == -(-buyers // 10)  # top 10 %, rounded up
    assert 0 <= stats[2] <= stats[3] <= 1
    assert stats[4] > buyers / 4  # a product to suggest for many customers
    assert stats[5] >= 6
    summary = result.summary
    assert 0 < summary["revenue_at_risk"] < summary["predicted_value"]
    assert 0.2 < summary["top20_revenue_share"] < 1


def test_a_shop_too_small_to_fit(store_url, tmp_path):
    path = tmp_path / "orders.csv"
    write_orders_csv(
        path, [("a", "2024-01-05", 10.0), ("b", "2024-02-01", 50.0), ("c", "2024-03-01", 20.0)]
    )
    import_file(ImportRequest(kind="orders", path=path), store_url)
    lines = tmp_path / "lines.csv"
    write_lines_csv(lines, [("o0", "tea", 10.0), ("o1", "tea", 25.0), ("o1", "cup", 25.0)])
    import_file(ImportRequest(kind="order-lines", path=lines), store_url)
    result = score(store_url, dt.date(2024, 3, 31), ScoreOptions(vip_share=0.3))
    assert result.model is None and "too small to fit" in (result.note or "")
    engine = sa.create_engine(store_url)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT c.external_id, s.vip, s.p_alive, s.recommendations, s.r_score, s.m_score "
            "FROM customer_scores s JOIN customers c ON c.id = s.customer_id ORDER BY 1"
        ).all()
    engine.dispose()
    # VIPs by spend: b (50.0); a bought tea, and tea goes with a cup
    assert [(r[0], bool(r[1]), r[2]) for r in rows] == [
        ("a", False, None),
        ("b", True, None),
        ("c", False, None),
    ]
    assert rows[0][3] == '["cup"]'
    assert [r[4] for r in rows] == [1, 3, 5] and [r[5] for r in rows] == [1, 5, 3]


def test_the_database_refuses_scores_out_of_range(shop_url):
    run = score(shop_url, AS_OF)
    engine = sa.create_engine(shop_url)
    base = (
        "INSERT INTO customer_scores (run_id, customer_id, recency_days, orders, spend_minor, "
        "r_score, f_score, m_score, segment, stage, p_alive, vip) VALUES "
    )
    bad = [
        f"({run.run_id}, 1, 0, 1, 0, 0, 1, 1, 'Lost', 'churned', 0.5, false)",
        f"({run.run_id}, 1, 0, 1, 0, 1, 1, 1, 'Nobody', 'churned', 0.5, false)",
        f"({run.run_id}, 1, 0, 1, 0, 1, 1, 1, 'Lost', 'asleep', 0.5, false)",
        f"({run.run_id}, 1, 0, 1, 0, 1, 1, 1, 'Lost', 'churned', 1.5, false)",
        f"({run.run_id}, 1, 0, 1, 0, 1, 1, 1, 'Lost', 'churned', 0.5, false)",  # duplicate
    ]
    for values in bad:
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.exec_driver_sql(base + values)
    engine.dispose()
