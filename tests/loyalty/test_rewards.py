"""The reward catalogue: points buy a reward whose coupon an issuer makes in the same
transaction; a replay returns the first coupon; a failing issuer takes no points."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from loyalty_helpers import add_customers, add_order, ledger_problems, rows, scalar, use_program

from holdfast.domain.loyalty_refusals import InsufficientPoints, NotEligible
from holdfast.errors import NotFound
from holdfast.services import loyalty

PROGRAM = """
[program]
currency = "USD"
[tiers]
[[tiers.levels]]
name = "Base"
threshold = "0"
[[tiers.levels]]
name = "Gold"
threshold = "500.00"
[[rewards]]
id = "espresso"
name = "A free espresso"
points = 350
amount = "3.50"
valid_days = 60
[[rewards]]
id = "gold-gift"
name = "Gold gift"
points = 100
amount = "10.00"
min_tier = "Gold"
"""
NOW = datetime(2026, 3, 1)


@pytest.fixture
def shop(store_url: str, tmp_path: Path) -> str:
    use_program(store_url, PROGRAM, tmp_path)
    add_customers(store_url, ["ann", "bob"])
    loyalty.earn(store_url, "ann", 400, "seed-ann", now=NOW)
    loyalty.earn(store_url, "bob", 400, "seed-bob", now=NOW)
    return store_url


def test_a_reward_takes_its_points_and_the_issuer_makes_one_coupon(shop: str) -> None:
    calls: list[loyalty.RewardClaim] = []

    def issue(conn: sa.Connection, claim: loyalty.RewardClaim) -> str:
        calls.append(claim)
        return f"R{claim.entry_id}"

    first = loyalty.redeem_reward(shop, "ann", "espresso", "buy-1", issue=issue, now=NOW)
    assert (first.points, first.balance, first.coupon) == (-350, 50, f"R{first.entry_id}")
    assert calls[0].template.terms.amount_minor == 350 and calls[0].template.valid_days == 60
    again = loyalty.redeem_reward(shop, "ann", "espresso", "buy-1", issue=issue, now=NOW)
    assert again.replayed and again.coupon == first.coupon and len(calls) == 1
    assert rows(shop, "SELECT reference, points FROM loyalty_entries WHERE kind = 'redeem'") == [
        ("reward:espresso", -350)
    ]
    with pytest.raises(InsufficientPoints):
        loyalty.redeem_reward(shop, "ann", "espresso", "buy-2", issue=issue, now=NOW)
    assert [r.id for r in loyalty.rewards(shop)] == ["gold-gift", "espresso"]
    assert ledger_problems(shop) == []


def test_a_failing_issuer_leaves_the_points_and_the_key_untouched(shop: str) -> None:
    def broken(conn: sa.Connection, claim: loyalty.RewardClaim) -> str:
        raise RuntimeError("coupon store down")

    with pytest.raises(RuntimeError):
        loyalty.redeem_reward(shop, "bob", "espresso", "buy-b", issue=broken, now=NOW)
    assert loyalty.balance(shop, "bob").points == 400
    assert scalar(shop, "SELECT count(*) FROM loyalty_requests WHERE key = 'buy-b'") == 0
    done = loyalty.redeem_reward(shop, "bob", "espresso", "buy-b", now=NOW)  # retry, no issuer
    assert (done.balance, done.coupon) == (50, None)


def test_rewards_for_a_tier_and_unknown_rewards_are_refused(shop: str) -> None:
    with pytest.raises(NotEligible, match="tier Gold"):
        loyalty.redeem_reward(shop, "ann", "gold-gift", "g1", now=NOW)
    add_order(shop, "o1", "ann", 60000, datetime(2026, 2, 1))
    loyalty.recompute_tiers(shop, as_of=NOW)
    assert loyalty.redeem_reward(shop, "ann", "gold-gift", "g1", now=NOW).balance == 300
    with pytest.raises(NotFound, match=r"no reward 'nope'.*espresso"):
        loyalty.redeem_reward(shop, "ann", "nope", "g2", now=NOW)
