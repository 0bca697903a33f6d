"""Automatic coupons from the program's templates and the reward catalogue: one per
(kind, customer, trigger), bound to its customer, valid for the template's days."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from loyalty_helpers import add_customers, rows, scalar

from holdfast.domain.loyalty_refusals import Expired, InsufficientPoints, NotEligible
from holdfast.errors import UserError
from holdfast.services import coupons, loyalty

NOW = datetime(2026, 6, 1, 9, 30)


@pytest.fixture
def shop(store_url: str, example_program) -> str:
    add_customers(store_url, ["ann", "bob"])
    loyalty.load_program(store_url, example_program)
    return store_url


def test_next_order_coupon_is_issued_once_per_first_order(shop: str) -> None:
    first = coupons.next_order_coupon(shop, "ann", "o1", now=NOW)
    again = coupons.next_order_coupon(shop, "ann", "o1", now=NOW + timedelta(hours=1))
    assert (first.created, again.created, again.code) == (True, False, first.code)
    assert first.code.startswith("NEXT_ORDER") and len(first.code) == len("NEXT_ORDER") + 12
    assert first.expires_at == NOW + timedelta(days=45)  # [coupons.next_order] valid_days
    assert rows(
        shop,
        "SELECT amount_minor, min_order_minor, max_uses, issue_key FROM coupons",
    ) == [(500, 2500, 1, "next_order:ann:order:o1")]


def test_an_issued_coupon_is_for_its_customer_only(shop: str) -> None:
    issued = coupons.birthday_coupon(shop, "ann", 2026, now=NOW)
    with pytest.raises(NotEligible, match="issued to another customer"):
        coupons.redeem(shop, issued.code, "bob", "b1", order_total=Decimal(10), now=NOW)
    used = coupons.redeem(shop, issued.code, "ann", "a1", order_total=Decimal(10), now=NOW)
    assert used.kind == "free_shipping"
    assert coupons.birthday_coupon(shop, "ann", 2027, now=NOW).code != issued.code


def test_win_back_coupon_expires_after_its_days(shop: str) -> None:
    issued = coupons.win_back_coupon(shop, "bob", "run-1", now=NOW)
    late = NOW + timedelta(days=21)
    with pytest.raises(Expired, match="expired"):
        coupons.redeem(shop, issued.code, "bob", "b1", order_total=Decimal(10), now=late)


def test_unknown_template_is_named(shop: str) -> None:
    with pytest.raises(UserError, match=r"no coupon template 'nope' .*birthday"):
        coupons.issue_coupon(shop, "nope", "ann", "t")


def test_a_reward_spends_points_and_issues_its_coupon_in_one_go(shop: str) -> None:
    loyalty.earn(shop, "ann", 400, "seed", now=NOW)
    issued = coupons.reward_coupon(shop, "ann", "espresso", "buy-1", now=NOW)
    replay = coupons.reward_coupon(shop, "ann", "espresso", "buy-1", now=NOW)
    assert (issued.created, replay.created, replay.code) == (True, False, issued.code)
    assert scalar(shop, "SELECT balance FROM loyalty_accounts") == 50  # 400 - 350
    assert rows(shop, "SELECT amount_minor, max_uses FROM coupons") == [(350, 1)]
    with pytest.raises(InsufficientPoints):
        coupons.reward_coupon(shop, "ann", "espresso", "buy-2", now=NOW)
    assert scalar(shop, "SELECT count(*) FROM coupons") == 1  # nothing half-written


def test_a_reward_paid_without_a_coupon_gets_it_under_the_same_key(shop: str) -> None:
    loyalty.earn(shop, "ann", 400, "seed", now=NOW)
    loyalty.redeem_reward(shop, "ann", "espresso", "buy-1", now=NOW)  # points only
    issued = coupons.reward_coupon(shop, "ann", "espresso", "buy-1", now=NOW)
    assert coupons.reward_coupon(shop, "ann", "espresso", "buy-1", now=NOW).code == issued.code
    assert scalar(shop, "SELECT balance FROM loyalty_accounts") == 50  # spent once
    assert scalar(shop, "SELECT count(*) FROM coupons") == 1
