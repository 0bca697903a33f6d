"""Referrals on SQLite and PostgreSQL: codes, the guards, the reward job and the report,
checked with plain SQL; concurrent jobs and replays give one effect."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from loyalty_helpers import add_customers, add_order, balances, ledger_problems, rows, scalar
from loyalty_race import race

from holdfast.domain.loyalty_refusals import NotEligible
from holdfast.errors import NotFound
from holdfast.services import loyalty, referrals

NOW = datetime(2026, 3, 1, 10, 0)
LATER = NOW + timedelta(days=3)


@pytest.fixture
def shop(store_url: str, example_program) -> str:
    add_customers(
        store_url,
        ["ann", "bob", "cid", "dan"],
        email=["ann@example.com", "bob@example.com", " ANN@Example.com ", "dan@example.com"],
        phone=["+49 30 1234567", "030-7654321", None, "(030) 765 43 21"],
    )
    loyalty.load_program(store_url, example_program)
    return store_url


def _code(url: str, who: str = "ann") -> str:
    return referrals.referral_code(url, who).code


def test_a_customer_has_one_code(shop: str) -> None:
    first = referrals.referral_code(shop, "ann")
    again = referrals.referral_code(shop, "ann")
    assert (first.created, again.created, again.code, len(first.code)) == (
        True,
        False,
        first.code,
        8,
    )
    assert referrals.referral_code(shop, "bob").code != first.code
    with pytest.raises(NotFound, match="no referral code 'NOPE'"):
        referrals.record_referral(shop, "nope", "bob")


def test_self_referral_is_refused(shop: str) -> None:
    with pytest.raises(NotEligible, match="cannot refer themselves"):
        referrals.record_referral(shop, _code(shop), "ann", now=NOW)


def test_a_friend_is_referred_once(shop: str) -> None:
    first = referrals.record_referral(shop, _code(shop), "bob", now=NOW)
    again = referrals.record_referral(shop, _code(shop).lower(), "bob", now=NOW)
    assert (again.replayed, again.id) == (True, first.id)
    with pytest.raises(NotEligible, match="bob was already referred by ann"):
        referrals.record_referral(shop, _code(shop, "dan"), "bob", now=NOW)
    assert scalar(shop, "SELECT count(*) FROM referrals") == 1


def test_a_customer_who_bought_before_is_not_a_new_friend(shop: str) -> None:
    add_order(shop, "b0", "bob", 2000, NOW - timedelta(days=1))
    with pytest.raises(NotEligible, match=r"bob has bought before \(order b0\)"):
        referrals.record_referral(shop, _code(shop), "bob", now=NOW)


def test_the_same_email_as_the_referrer_is_refused(shop: str) -> None:
    with pytest.raises(NotEligible, match="cid has the same email as the referrer ann"):
        referrals.record_referral(shop, _code(shop), "cid", now=NOW)


def test_the_same_phone_as_a_referred_friend_is_refused(shop: str) -> None:
    referrals.record_referral(shop, _code(shop), "bob", now=NOW)
    with pytest.raises(NotEligible, match="dan has the same phone as bob, who was already"):
        referrals.record_referral(shop, _code(shop), "dan", now=NOW)


def test_the_same_payment_fingerprint_as_a_referred_friend_is_refused(shop: str) -> None:
    add_customers(shop, ["eve", "fay"])
    referrals.record_referral(shop, _code(shop), "eve", payment="card:4242", now=NOW)
    with pytest.raises(NotEligible, match="fay has the same payment as eve"):
        referrals.record_referral(shop, _code(shop), "fay", payment=" card:4242", now=NOW)
    assert scalar(shop, "SELECT count(*) FROM identity_fingerprints WHERE kind = 'payment'") == 1
    stored = rows(shop, "SELECT digest FROM identity_fingerprints")
    assert all("4242" not in d and "@" not in d for (d,) in stored)  # digests only


def test_both_sides_are_rewarded_once_when_the_first_order_completes(shop: str) -> None:
    referral = referrals.record_referral(shop, _code(shop), "bob", now=NOW)
    assert referrals.reward_referrals(shop, now=LATER).waiting == 1  # no order yet
    add_order(shop, "b1", "bob", 1500, NOW + timedelta(days=1))  # 15.00: the minimum
    run = referrals.reward_referrals(shop, now=LATER)
    assert (run.rewarded, run.points, len(run.coupons)) == (1, 500, 1)
    assert referrals.reward_referrals(shop, now=LATER).rewarded == 0  # nothing twice
    assert balances(shop) == {"ann": 500}
    assert rows(shop, "SELECT status, order_ref FROM referrals") == [("rewarded", "b1")]
    assert rows(
        shop,
        "SELECT r.side, c.external_id, r.points, k.percent IS NOT NULL, k.first_order_only "
        "FROM referral_rewards r JOIN customers c ON c.id = r.customer_id "
        "LEFT JOIN coupons k ON k.id = r.coupon_id ORDER BY r.side",
    ) == [("friend", "bob", 0, True, True), ("referrer", "ann", 500, False, None)]
    assert (
        scalar(shop, "SELECT issue_key FROM coupons")
        == f"referral_friend:bob:referral:{referral.id}"
    )
    assert ledger_problems(shop) == []


def test_a_first_order_below_the_minimum_refuses_the_referral(shop: str) -> None:
    referrals.record_referral(shop, _code(shop), "bob", now=NOW)
    add_order(shop, "b1", "bob", 1499, NOW + timedelta(days=1))
    add_order(shop, "b2", "bob", 9000, NOW + timedelta(days=2))  # not the first order
    run = referrals.reward_referrals(shop, now=LATER)
    assert (run.rewarded, run.refused) == (0, 1)
    assert rows(shop, "SELECT status, note FROM referrals") == [
        ("refused", "first order b1 below 15.00")
    ]
    assert balances(shop) == {}


def test_the_report_counts_each_referrer(shop: str) -> None:
    add_customers(shop, ["eve"])
    referrals.record_referral(shop, _code(shop), "bob", now=NOW)
    referrals.record_referral(shop, _code(shop), "eve", now=NOW)
    add_order(shop, "b1", "bob", 5000, NOW + timedelta(days=1))
    referrals.reward_referrals(shop, now=LATER)
    report = referrals.referral_report(shop)
    (line,) = report.lines
    assert (line.customer, line.referred, line.pending, line.rewarded, line.points) == (
        "ann",
        2,
        1,
        1,
        500,
    )
    assert (report.referred, report.rewarded, report.points, report.coupons) == (2, 1, 500, 1)


def test_ten_reward_jobs_at_once_reward_each_side_once(shop: str) -> None:
    for friend in ("bob", "dan"):
        add_customers(shop, [f"{friend}2"])
        referrals.record_referral(shop, _code(shop), f"{friend}2", now=NOW)
        add_order(shop, f"{friend}-1", f"{friend}2", 2000, NOW + timedelta(days=1))

    def job(engine: sa.Engine, _: int) -> int:
        return referrals.reward_referrals(engine, now=LATER).rewarded

    outcome = race(shop, 10, job)
    assert outcome.codes == [0] * 10
    assert balances(shop) == {"ann": 1000}  # 500 per friend, once each
    assert scalar(shop, "SELECT count(*) FROM referral_rewards") == 4
    assert scalar(shop, "SELECT count(*) FROM coupons") == 2
    assert ledger_problems(shop) == []


def test_one_referral_recorded_ten_times_at_once_is_one_referral(shop: str) -> None:
    code = _code(shop)

    def record(engine: sa.Engine, _: int) -> int:
        return referrals.record_referral(engine, code, "bob", now=NOW).id

    outcome = race(shop, 10, record)
    assert outcome.codes == [0] * 10
    assert len(set(outcome.values)) == 1
    assert scalar(shop, "SELECT count(*) FROM referrals") == 1


def test_a_job_killed_after_the_points_credits_nothing_twice(shop: str) -> None:
    referral = referrals.record_referral(shop, _code(shop), "bob", now=NOW)
    add_order(shop, "b1", "bob", 2000, NOW + timedelta(days=1))
    # what a job killed right after crediting the referrer had written: the points only
    loyalty.earn(shop, "ann", 500, f"referral:{referral.id}:referrer", now=LATER)
    assert rows(shop, "SELECT status FROM referrals") == [("pending",)]
    run = referrals.reward_referrals(shop, now=LATER)
    assert (run.rewarded, balances(shop)) == (1, {"ann": 500})
    assert scalar(shop, "SELECT count(*) FROM loyalty_entries") == 1
    assert scalar(shop, "SELECT count(*) FROM referral_rewards") == 2
