"""Many processes at once against one store: redemptions beyond the balance, one key replayed
concurrently, concurrent expiry jobs, and a batch killed in the middle.

Each race has a negative control: a naive check-then-write variant under the same
interleaving must break the invariant the real code keeps (overdraw, a replay applied twice,
points expired twice), so the tests can fail.
"""

from __future__ import annotations

import os
import signal
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from loyalty_helpers import add_customers, balances, ledger_problems, rows, scalar
from loyalty_race import race, run_in_child

from holdfast.services import loyalty
from holdfast.services.loyalty import batch

START = datetime(2026, 1, 1)


def test_fifty_redemptions_beyond_the_balance_never_overdraw(store_url: str) -> None:
    add_customers(store_url, ["ann"])
    for i in range(10):  # ten lots of 100, so redemptions cross lot boundaries
        loyalty.earn(store_url, "ann", 100, f"e{i}", now=START + timedelta(days=i))

    def spend(engine: sa.Engine, i: int) -> int:
        return loyalty.redeem(engine, "ann", 30, f"r{i}", now=START + timedelta(days=30)).balance

    outcome = race(store_url, 50, spend)
    assert sorted(set(outcome.codes)) == [0, 11]  # done, or refused: insufficient points
    assert outcome.count(0) == 33  # 33 × 30 = 990 of 1000
    assert balances(store_url) == {"ann": 10}
    assert scalar(store_url, "SELECT SUM(points) FROM loyalty_entries") == 10
    assert scalar(store_url, "SELECT count(*) FROM loyalty_entries WHERE kind = 'redeem'") == 33
    assert ledger_problems(store_url) == []


def test_negative_control_a_naive_check_then_write_overdraws(store_url: str) -> None:
    add_customers(store_url, ["ann"])
    loyalty.earn(store_url, "ann", 1000, "e", now=START)

    def naive(engine: sa.Engine, i: int, together) -> None:  # type: ignore[no-untyped-def]
        with engine.begin() as conn:
            have = conn.exec_driver_sql("SELECT SUM(points) FROM loyalty_entries").scalar_one()
        together()
        if have >= 30:
            with engine.begin() as conn:
                conn.exec_driver_sql(
                    "INSERT INTO loyalty_entries (customer_id, kind, points, effective_at) "
                    "VALUES (1, 'redeem', -30, CURRENT_TIMESTAMP)"
                )

    outcome = race(store_url, 50, naive, midway=True)
    assert outcome.count(0) == 50
    assert scalar(store_url, "SELECT SUM(points) FROM loyalty_entries") == 1000 - 50 * 30
    assert ledger_problems(store_url)  # the checks see the overdraft


@pytest.mark.parametrize("operation", ["earn", "redeem"])
def test_one_key_replayed_ten_times_at_once_has_one_effect(store_url: str, operation: str) -> None:
    add_customers(store_url, ["ann"])
    loyalty.earn(store_url, "ann", 500, "seed", now=START)

    def call(engine: sa.Engine, _: int) -> tuple[int | None, bool]:
        act = loyalty.earn if operation == "earn" else loyalty.redeem
        result = act(engine, "ann", 40, "the-key", now=START)
        return result.entry_id, result.replayed

    outcome = race(store_url, 10, call)
    assert outcome.codes == [0] * 10
    assert len({entry for entry, _ in outcome.values}) == 1  # everyone got the same entry
    assert sorted(replayed for _, replayed in outcome.values) == [False] + [True] * 9
    assert balances(store_url) == {"ann": 540 if operation == "earn" else 460}
    assert scalar(store_url, "SELECT count(*) FROM loyalty_entries") == 2
    assert ledger_problems(store_url) == []


def test_negative_control_a_naive_key_check_applies_a_replay_twice(store_url: str) -> None:
    add_customers(store_url, ["ann"])
    loyalty.earn(store_url, "ann", 500, "seed", now=START)

    def naive(engine: sa.Engine, i: int, together) -> None:  # type: ignore[no-untyped-def]
        with engine.begin() as conn:
            seen = conn.exec_driver_sql(
                "SELECT count(*) FROM loyalty_entries WHERE reference = 'the-key'"
            ).scalar_one()
        together()
        if not seen:
            with engine.begin() as conn:
                conn.exec_driver_sql(
                    "INSERT INTO loyalty_entries (customer_id, kind, points, reference, "
                    "effective_at) VALUES (1, 'earn', 40, 'the-key', CURRENT_TIMESTAMP)"
                )

    outcome = race(store_url, 10, naive, midway=True)
    assert outcome.codes == [0] * 10
    assert scalar(store_url, "SELECT count(*) FROM loyalty_entries WHERE reference = 'the-key'") > 1


def test_concurrent_expiry_jobs_expire_each_point_once(store_url: str) -> None:
    people = [f"c{i:03d}" for i in range(120)]
    add_customers(store_url, people)
    loyalty.earn_many(
        store_url,
        [loyalty.EarnRequest(c, 10 + i, f"k{c}") for i, c in enumerate(people)],
        now=START,
    )
    engine = sa.create_engine(store_url)
    with engine.begin() as conn:  # make every lot due
        conn.exec_driver_sql("UPDATE loyalty_lots SET expires_at = earned_at")
    engine.dispose()

    def expire(engine: sa.Engine, _: int) -> int:
        return loyalty.expire_points(engine, as_of=START, chunk_size=25).points

    outcome = race(store_url, 4, expire)
    assert outcome.codes == [0] * 4
    assert sum(outcome.values) == sum(10 + i for i in range(120))
    assert scalar(store_url, "SELECT count(*) FROM loyalty_entries WHERE kind = 'expire'") == 120
    assert set(balances(store_url).values()) == {0}
    assert ledger_problems(store_url) == []


def test_negative_control_naive_expiry_jobs_expire_twice(store_url: str) -> None:
    add_customers(store_url, ["ann"])
    loyalty.earn(store_url, "ann", 100, "e", now=START)

    def naive(engine: sa.Engine, i: int, together) -> None:  # type: ignore[no-untyped-def]
        with engine.begin() as conn:
            due = (
                conn.exec_driver_sql("SELECT remaining FROM loyalty_lots WHERE remaining > 0")
                .scalars()
                .all()
            )
        together()
        with engine.begin() as conn:
            for remaining in due:
                conn.execute(
                    sa.text(
                        "INSERT INTO loyalty_entries (customer_id, kind, points, effective_at) "
                        "VALUES (1, 'expire', :p, CURRENT_TIMESTAMP)"
                    ),
                    {"p": -remaining},
                )

    outcome = race(store_url, 4, naive, midway=True)
    assert outcome.codes == [0] * 4
    assert scalar(store_url, "SELECT SUM(points) FROM loyalty_entries") == 100 - 4 * 100
    assert ledger_problems(store_url)


def test_a_batch_killed_midway_leaves_whole_chunks_and_a_rerun_completes_it(
    store_url: str,
) -> None:
    people = [f"c{i:05d}" for i in range(10_000)]
    add_customers(store_url, people)
    requests = [loyalty.EarnRequest(c, 1 + i % 7, f"batch:{c}") for i, c in enumerate(people)]

    def crash_in_fourth_chunk() -> None:
        calls = {"n": 0}
        original = batch.save_results

        def save_then_die(conn, results):  # type: ignore[no-untyped-def]
            calls["n"] += 1
            original(conn, results)
            if calls["n"] == 4:  # entries, lots and balances written, not committed
                os.kill(os.getpid(), signal.SIGKILL)

        batch.save_results = save_then_die
        loyalty.earn_many(store_url, requests, now=START, chunk_size=1000)

    assert run_in_child(crash_in_fourth_chunk) == -signal.SIGKILL
    assert scalar(store_url, "SELECT count(*) FROM loyalty_entries") == 3000
    assert scalar(store_url, "SELECT count(*) FROM loyalty_lots") == 3000
    assert scalar(store_url, "SELECT count(*) FROM loyalty_requests") == 3000
    assert scalar(store_url, "SELECT count(*) FROM loyalty_accounts WHERE balance > 0") == 3000
    assert ledger_problems(store_url) == []

    summary = loyalty.earn_many(store_url, requests, now=START, chunk_size=1000)
    assert (summary.credited, summary.replayed) == (7000, 3000)
    expected = {r.customer: r.points for r in requests}
    assert balances(store_url) == expected
    per_customer = rows(
        store_url, "SELECT customer_id, count(*) FROM loyalty_entries GROUP BY customer_id"
    )
    assert len(per_customer) == 10_000 and {n for _, n in per_customer} == {1}
    assert ledger_problems(store_url) == []
