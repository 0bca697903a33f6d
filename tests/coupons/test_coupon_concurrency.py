"""Many processes at once against one coupon: exactly one use of a single-use code, one
effect for a replayed redemption or batch.

The negative control runs a naive check-then-write under the same interleaving and must let
more than one redemption through, so the race test has the power to fail.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from loyalty_helpers import add_customers, rows, scalar
from loyalty_race import race

from holdfast.services import coupons
from holdfast.services.coupons import CouponSpec

NOW = datetime(2026, 6, 1)
CUSTOMERS = [f"c{i}" for i in range(50)]


def test_fifty_redemptions_of_a_single_use_code_one_succeeds(store_url: str) -> None:
    add_customers(store_url, CUSTOMERS)
    coupons.create_coupon(store_url, "ONCE", CouponSpec(amount=Decimal(5), max_uses=1))

    def use(engine: sa.Engine, i: int) -> int:
        return coupons.redeem(
            engine, "once", f"c{i}", f"order-{i}", order_total=Decimal(20), now=NOW
        ).id

    outcome = race(store_url, 50, use)
    assert sorted(outcome.codes).count(0) == 1
    assert outcome.count(12) == 49  # the others: already redeemed, a clean refusal
    assert scalar(store_url, "SELECT count(*) FROM coupon_redemptions") == 1
    assert rows(store_url, "SELECT uses, max_uses FROM coupons") == [(1, 1)]


def test_negative_control_a_naive_check_then_update_redeems_twice(store_url: str) -> None:
    add_customers(store_url, CUSTOMERS)
    coupons.create_coupon(store_url, "ONCE", CouponSpec(amount=Decimal(5), max_uses=1))

    def naive(engine: sa.Engine, i: int, together) -> None:  # type: ignore[no-untyped-def]
        with engine.begin() as conn:
            coupon_id, uses = conn.exec_driver_sql("SELECT id, uses FROM coupons").one()
        together()
        if uses < 1:
            with engine.begin() as conn:
                conn.execute(
                    sa.text(
                        "INSERT INTO coupon_redemptions (coupon_id, customer_id, order_ref, "
                        "active_order, order_minor, discount_minor, redeemed_at) "
                        "VALUES (:c, :who, :o, :o, 2000, 500, CURRENT_TIMESTAMP)"
                    ),
                    {"c": coupon_id, "who": i + 1, "o": f"order-{i}"},
                )

    outcome = race(store_url, 50, naive, midway=True)
    assert outcome.codes == [0] * 50
    assert scalar(store_url, "SELECT count(*) FROM coupon_redemptions") == 50  # all got through


def test_one_redemption_replayed_ten_times_at_once_has_one_effect(store_url: str) -> None:
    add_customers(store_url, ["ann"])
    coupons.create_coupon(store_url, "TEN", CouponSpec(percent=Decimal(10), per_customer=1))

    def use(engine: sa.Engine, _: int) -> tuple[int, bool]:
        result = coupons.redeem(engine, "ten", "ann", "o1", order_total=Decimal(30), now=NOW)
        return result.id, result.replayed

    outcome = race(store_url, 10, use)
    assert outcome.codes == [0] * 10
    assert len({ident for ident, _ in outcome.values}) == 1
    assert sorted(replayed for _, replayed in outcome.values) == [False] + [True] * 9
    assert rows(store_url, "SELECT order_ref, discount_minor FROM coupon_redemptions") == [
        ("o1", 300)
    ]
    assert scalar(store_url, "SELECT uses FROM coupons") == 1


def test_one_batch_key_replayed_ten_times_at_once_makes_one_batch(store_url: str) -> None:
    def make(engine: sa.Engine, _: int) -> list[str]:
        return coupons.create_batch(engine, 100, "spring", CouponSpec(percent=Decimal(15))).codes

    outcome = race(store_url, 10, make)
    assert outcome.codes == [0] * 10
    assert len({tuple(codes) for codes in outcome.values}) == 1
    assert scalar(store_url, "SELECT count(*) FROM coupons") == 100
    assert scalar(store_url, "SELECT count(*) FROM coupon_batches") == 1


def test_one_automatic_coupon_issued_ten_times_at_once_is_one_coupon(
    store_url: str, example_program
) -> None:
    from holdfast.services import loyalty

    add_customers(store_url, ["ann"])
    loyalty.load_program(store_url, example_program)

    def issue(engine: sa.Engine, _: int) -> str:
        return coupons.win_back_coupon(engine, "ann", "campaign-7", now=NOW).code

    outcome = race(store_url, 10, issue)
    assert outcome.codes == [0] * 10
    assert len(set(outcome.values)) == 1
    assert scalar(store_url, "SELECT count(*) FROM coupons") == 1
