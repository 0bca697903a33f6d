"""Tiers over simulated years: upgrade at once, downgrade only after the hold, on rolling spend
or points; reruns change nothing; the tier's earn multiplier applies to order points.

The expected moves are worked out by hand in the comments from the rules in the program text.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from loyalty_helpers import add_customers, add_order, rows, scalar, update_order, use_program
from loyalty_race import race

from holdfast.domain.loyalty_expiry import add_months
from holdfast.domain.loyalty_program import Tier, TierRules
from holdfast.domain.loyalty_tiers import TierState, next_state
from holdfast.errors import UserError
from holdfast.services import loyalty

LEVELS = """
[[tiers.levels]]
name = "Base"
threshold = "0"
[[tiers.levels]]
name = "Silver"
threshold = "200.00"
earn_multiplier = "1.5"
[[tiers.levels]]
name = "Gold"
threshold = "500.00"
earn_multiplier = "2"
"""


def _program(url: str, tmp_path: Path, tiers: str, levels: str = LEVELS) -> None:
    head = '[program]\ncurrency = "USD"\n[earn]\npoints_per_unit = "1"\n'
    use_program(url, f"{head}{tiers}{levels}", tmp_path)


def _monthly(url: str, first: datetime, months: int) -> None:
    for k in range(months):
        loyalty.recompute_tiers(url, as_of=add_months(first, k))


def _moves(url: str, customer: str) -> list[tuple[str, str | None, str]]:
    return [
        (f"{when:%Y-%m-%d}", old, new) for when, old, new, _ in loyalty.tier_changes(url, customer)
    ]


def test_the_rules_in_isolation() -> None:
    rules = TierRules((Tier("A", 0), Tier("B", 10), Tier("C", 20)), hold_months=6)
    t0 = datetime(2026, 1, 1)
    assert next_state(rules, None, 15, t0) == TierState("B", t0)
    assert next_state(rules, TierState("B", t0), 25, t0) == TierState("C", t0)  # up at once
    held = TierState("C", t0)
    assert next_state(rules, held, 0, datetime(2026, 6, 30)) == held  # still within the hold
    assert next_state(rules, held, 0, datetime(2026, 7, 1)) == TierState("A", datetime(2026, 7, 1))
    one = TierRules(rules.levels, hold_months=6, downgrade="one_level")
    assert next_state(one, held, 0, datetime(2026, 7, 1)) == TierState("B", datetime(2026, 7, 1))
    assert next_state(rules, TierState("gone", t0), 12, t0) == TierState("B", t0)


def test_spend_tiers_move_up_and_down_over_three_years(store_url: str, tmp_path: Path) -> None:
    _program(
        store_url,
        tmp_path,
        '[tiers]\nbasis = "spend"\nwindow_months = 12\nhold_months = 12\n',
    )
    add_customers(store_url, ["ann", "bob", "cat"])
    # ann: 300 in January, 300 more in March 2026, then nothing
    add_order(store_url, "a1", "ann", 30000, datetime(2026, 1, 15))
    add_order(store_url, "a2", "ann", 30000, datetime(2026, 3, 10))
    # bob: 600 bought, 400 of it refunded: 200 net counts
    add_order(store_url, "b1", "bob", 60000, datetime(2026, 1, 20), refunded_minor=40000)
    # cat: 50 every month for three years: 600 in every full window
    for k in range(36):
        add_order(store_url, f"c{k}", "cat", 5000, add_months(datetime(2026, 1, 5), k))
    _monthly(store_url, datetime(2026, 1, 1), 37)  # 2026-01-01 … 2029-01-01

    # ann: Silver on Feb 1 (300), Gold on Apr 1 (600). From 2027-02-01 the window holds 300
    # (Silver), from 2027-04-01 nothing; Gold was held since 2026-04-01, so the downgrade
    # waits until 2027-04-01 and then goes straight to the qualifying tier, Base.
    assert _moves(store_url, "ann") == [
        ("2026-01-01", None, "Base"),
        ("2026-02-01", "Base", "Silver"),
        ("2026-04-01", "Silver", "Gold"),
        ("2027-04-01", "Gold", "Base"),
    ]
    # bob: Silver on 2026-02-01; the order leaves the window on 2027-01-20, the hold ends
    # on 2027-02-01: Base then.
    assert _moves(store_url, "bob") == [
        ("2026-01-01", None, "Base"),
        ("2026-02-01", "Base", "Silver"),
        ("2027-02-01", "Silver", "Base"),
    ]
    # cat: 50 on Feb 1, 200 (four orders) on May 1, 500 (ten) on Nov 1, and stays Gold:
    # every later window up to 2029-01-01 holds twelve orders, the last full one (2028-01-01
    # to 2029-01-01) too.
    assert _moves(store_url, "cat") == [
        ("2026-01-01", None, "Base"),
        ("2026-05-01", "Base", "Silver"),
        ("2026-11-01", "Silver", "Gold"),
    ]
    accounts = rows(
        store_url,
        "SELECT c.external_id, a.tier FROM loyalty_accounts a "
        "JOIN customers c ON c.id = a.customer_id ORDER BY c.external_id",
    )
    assert accounts == [("ann", "Base"), ("bob", "Base"), ("cat", "Gold")]
    again = loyalty.recompute_tiers(store_url, as_of=datetime(2029, 1, 1))
    assert (again.customers, again.placed, again.upgraded, again.downgraded) == (3, 0, 0, 0)
    assert len(rows(store_url, "SELECT id FROM loyalty_tier_changes")) == 10


def test_one_level_downgrades_step_down_a_year_apart(store_url: str, tmp_path: Path) -> None:
    _program(
        store_url,
        tmp_path,
        '[tiers]\nwindow_months = 12\nhold_months = 12\ndowngrade = "one_level"\n',
    )
    add_customers(store_url, ["ann"])
    add_order(store_url, "a1", "ann", 70000, datetime(2026, 1, 15))
    _monthly(store_url, datetime(2026, 1, 1), 49)
    # Gold on 2026-02-01; the window is empty from 2027-02-01; one level per held year
    assert _moves(store_url, "ann") == [
        ("2026-01-01", None, "Base"),
        ("2026-02-01", "Base", "Gold"),
        ("2027-02-01", "Gold", "Silver"),
        ("2028-02-01", "Silver", "Base"),
    ]


def test_points_tiers_count_points_earned_less_their_reversals(
    store_url: str, tmp_path: Path
) -> None:
    levels = LEVELS.replace('"200.00"', "200").replace('"500.00"', "500").replace('"0"', "0")
    _program(store_url, tmp_path, '[tiers]\nbasis = "points"\nhold_months = 0\n', levels)
    add_customers(store_url, ["ann"])
    add_order(store_url, "a1", "ann", 60000, datetime(2026, 1, 10))  # 600 points
    loyalty.earn_for_orders(store_url, now=datetime(2026, 1, 10))
    loyalty.redeem(store_url, "ann", 550, "spend", now=datetime(2026, 1, 11))  # spending counts not
    loyalty.recompute_tiers(store_url, as_of=datetime(2026, 2, 1))
    assert loyalty.tier_status(store_url, "ann", as_of=datetime(2026, 2, 1)).tier.name == "Gold"
    update_order(store_url, "a1", refunded_minor=30000)  # half back: 300 reversed (50 there)
    loyalty.earn_for_orders(store_url, now=datetime(2026, 2, 2))
    loyalty.recompute_tiers(store_url, as_of=datetime(2026, 3, 1))
    view = loyalty.tier_status(store_url, "ann", as_of=datetime(2026, 3, 1))
    # 600 earned, 50 taken back (the balance stopped the reversal at zero): 550 still count
    assert (view.value, view.tier.name) == (550, "Gold")


def test_the_tier_multiplies_order_points(store_url: str, tmp_path: Path) -> None:
    _program(store_url, tmp_path, "[tiers]\n")
    add_customers(store_url, ["ann", "bob"])
    add_order(store_url, "a1", "ann", 60000, datetime(2026, 1, 10))
    add_order(store_url, "b1", "bob", 10000, datetime(2026, 1, 10))
    loyalty.earn_for_orders(store_url, now=datetime(2026, 1, 10))  # no tiers held yet: ×1
    loyalty.recompute_tiers(store_url, as_of=datetime(2026, 2, 1))  # ann Gold, bob Base
    add_order(store_url, "a2", "ann", 1000, datetime(2026, 2, 2))
    add_order(store_url, "b2", "bob", 1000, datetime(2026, 2, 2))
    loyalty.earn_for_orders(store_url, now=datetime(2026, 2, 2))
    earned = rows(
        store_url,
        "SELECT o.external_id, e.points FROM loyalty_entries e JOIN orders o "
        "ON o.id = e.order_id ORDER BY o.external_id",
    )
    assert earned == [("a1", 600), ("a2", 20), ("b1", 100), ("b2", 10)]


def test_tier_status_shows_the_next_level_and_needs_tiers(store_url: str, tmp_path: Path) -> None:
    add_customers(store_url, ["ann"])
    _program(store_url, tmp_path, "", "")
    with pytest.raises(UserError, match="no tiers"):
        loyalty.recompute_tiers(store_url)
    _program(store_url, tmp_path, "[tiers]\n")
    add_order(store_url, "a1", "ann", 25000, datetime(2026, 1, 10))
    loyalty.recompute_tiers(store_url, as_of=datetime(2026, 2, 1))
    view = loyalty.tier_status(store_url, "ann", as_of=datetime(2026, 2, 1))
    assert (view.tier.name, view.value, view.next_tier.name) == ("Silver", 25000, "Gold")


def test_concurrent_recomputes_move_each_customer_once(store_url: str, tmp_path: Path) -> None:
    _program(store_url, tmp_path, "[tiers]\n")
    people = [f"c{i:02d}" for i in range(60)]
    add_customers(store_url, people)
    for i, person in enumerate(people):
        add_order(store_url, f"o{i}", person, 10000 * (i % 7), datetime(2026, 1, 10))

    def recompute(engine: sa.Engine, _: int) -> int:
        summary = loyalty.recompute_tiers(engine, as_of=datetime(2026, 2, 1), chunk_size=7)
        return summary.placed

    outcome = race(store_url, 4, recompute)
    assert outcome.codes == [0] * 4
    assert sum(outcome.values) == 60  # every customer placed by exactly one of the jobs
    assert scalar(store_url, "SELECT count(*) FROM loyalty_tier_changes") == 60
    tiers = rows(store_url, "SELECT tier, count(*) FROM loyalty_accounts GROUP BY tier")
    # spend 0–100 Base, 200–400 Silver, 500–600 Gold; i % 7 spreads 60 people 9,9,9,9,8,8,8
    assert dict(tiers) == {"Base": 9 + 9, "Silver": 9 + 9 + 8, "Gold": 8 + 8}
