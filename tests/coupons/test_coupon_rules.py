"""Every coupon rule at its edges, on SQLite and PostgreSQL, checked with plain SQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from loyalty_helpers import add_customers, add_order, rows, scalar

from holdfast.domain.loyalty_refusals import AlreadyUsed, Expired, KeyConflict, NotEligible
from holdfast.errors import NotFound, UserError
from holdfast.services import coupons, loyalty
from holdfast.services.coupons import CouponSpec
from holdfast.services.segments.write import partition_name

NOW = datetime(2026, 6, 1, 12, 0)
D = Decimal


def _redeem(url: str, code: str, order: str, total: str = "50.00", who: str = "ann", **kw):
    return coupons.redeem(url, code, who, order, order_total=D(total), now=NOW, **kw)


@pytest.fixture
def shop(store_url: str) -> str:
    add_customers(store_url, ["ann", "bob"])
    return store_url


def test_percent_rounds_down_and_amount_is_capped_at_the_order(shop: str) -> None:
    coupons.create_coupon(shop, "ten", CouponSpec(percent=D("10")))
    coupons.create_coupon(shop, "five", CouponSpec(amount=D("5.00")))
    coupons.create_coupon(shop, "ship", CouponSpec(free_shipping=True))
    assert _redeem(shop, "TEN", "o1", "19.99").discount_minor == 199  # 1.999 → 1.99
    assert _redeem(shop, "five", "o2", "3.00").discount_minor == 300  # never above the order
    free = _redeem(shop, "ship", "o3", "3.00")
    assert (free.kind, free.discount_minor) == ("free_shipping", 0)
    assert rows(shop, "SELECT order_ref, discount_minor FROM coupon_redemptions ORDER BY id") == [
        ("o1", 199),
        ("o2", 300),
        ("o3", 0),
    ]


def test_minimum_order_at_its_edge(shop: str) -> None:
    coupons.create_coupon(shop, "min20", CouponSpec(amount=D("5"), min_order=D("20.00")))
    with pytest.raises(NotEligible, match=r"below the coupon's minimum of 20\.00"):
        _redeem(shop, "min20", "o1", "19.99")
    assert _redeem(shop, "min20", "o2", "20.00").discount_minor == 500


def test_validity_window_is_half_open(shop: str) -> None:
    spec = CouponSpec(percent=D("5"), starts_at=NOW, expires_at=NOW + timedelta(days=1))
    coupons.create_coupon(shop, "window", spec)
    tick = timedelta(microseconds=1)
    with pytest.raises(Expired, match="valid from"):
        coupons.redeem(shop, "window", "ann", "o1", order_total=D(10), now=NOW - tick)
    with pytest.raises(Expired, match="expired at"):
        coupons.redeem(shop, "window", "ann", "o2", order_total=D(10), now=NOW + timedelta(days=1))
    coupons.redeem(shop, "window", "ann", "o3", order_total=D(10), now=NOW)
    coupons.redeem(shop, "window", "bob", "o4", order_total=D(10), now=NOW + timedelta(1) - tick)
    assert scalar(shop, "SELECT uses FROM coupons") == 2


def test_single_use_code_is_used_once(shop: str) -> None:
    coupons.create_coupon(shop, "once", CouponSpec(amount=D("1"), max_uses=1))
    _redeem(shop, "once", "o1")
    with pytest.raises(AlreadyUsed, match="already redeemed"):
        _redeem(shop, "once", "o2", who="bob")
    assert scalar(shop, "SELECT count(*) FROM coupon_redemptions") == 1


def test_shared_code_with_a_per_customer_limit(shop: str) -> None:
    coupons.create_coupon(shop, "shared", CouponSpec(percent=D("5"), per_customer=2))
    _redeem(shop, "shared", "o1")
    _redeem(shop, "shared", "o2")
    with pytest.raises(AlreadyUsed, match=r"used this coupon 2 times \(limit 2\)"):
        _redeem(shop, "shared", "o3")
    _redeem(shop, "shared", "o4", who="bob")  # the limit is per customer
    coupons.release(shop, "o1", now=NOW)  # a released use counts no more
    _redeem(shop, "shared", "o5")
    assert scalar(shop, "SELECT uses FROM coupons") == 3  # o2, o4, o5


def test_first_order_only_counts_real_purchases_only(shop: str) -> None:
    coupons.create_coupon(shop, "welcome", CouponSpec(percent=D("10"), first_order_only=True))
    add_order(shop, "old-cancelled", "ann", 5000, NOW - timedelta(days=9), status="cancelled")
    add_order(shop, "old-refunded", "ann", 5000, NOW - timedelta(days=8), refunded_minor=5000)
    add_order(shop, "o1", "ann", 5000, NOW)  # the order itself is not an earlier one
    assert coupons.redeem(shop, "welcome", "ann", "o1", now=NOW).discount_minor == 500
    add_order(shop, "b-first", "bob", 1000, NOW - timedelta(days=1))
    with pytest.raises(NotEligible, match="first order only"):
        _redeem(shop, "welcome", "b2", who="bob")


def test_tier_only_coupon_uses_the_programs_tier_order(shop: str, example_program) -> None:
    loyalty.load_program(shop, example_program)
    coupons.create_coupon(shop, "gold", CouponSpec(amount=D("10"), min_tier="Gold"))
    for tier in (None, "Bean", "Silver", "Nonsense"):
        with pytest.raises(NotEligible, match="tier Gold and above"):
            _redeem(shop, "gold", f"o-{tier}", tier=tier)
    _redeem(shop, "gold", "o-gold", tier="Gold")
    _redeem(shop, "gold", "o-plat", tier="Platinum")


def test_segment_only_coupon(shop: str) -> None:
    coupons.create_coupon(shop, "vip", CouponSpec(percent=D("20"), segment="vip"))
    with pytest.raises(NotEligible, match="segment 'vip' only"):
        _redeem(shop, "vip", "o1", segments=["loyal"])
    _redeem(shop, "vip", "o2", segments=["loyal", "vip"])


def test_one_coupon_per_order_and_a_replay_returns_the_first(shop: str) -> None:
    coupons.create_coupon(shop, "a", CouponSpec(percent=D("10")))
    coupons.create_coupon(shop, "b", CouponSpec(percent=D("20")))
    first = _redeem(shop, "a", "o1")
    again = _redeem(shop, "a", "o1")
    assert (again.replayed, again.id, again.discount_minor) == (True, first.id, 500)
    with pytest.raises(NotEligible, match="already uses coupon 'A': one coupon per order"):
        _redeem(shop, "b", "o1")
    with pytest.raises(KeyConflict, match="by ann"):
        _redeem(shop, "a", "o1", who="bob")
    assert scalar(shop, "SELECT count(*) FROM coupon_redemptions") == 1


def test_release_frees_the_use_once(shop: str) -> None:
    coupons.create_coupon(shop, "once", CouponSpec(amount=D("1"), max_uses=1))
    _redeem(shop, "once", "o1")
    assert coupons.release(shop, "o1", now=NOW).released is True
    assert coupons.release(shop, "o1", now=NOW).released is False  # a second call: no change
    _redeem(shop, "once", "o2", who="bob")  # the use can be taken again
    assert rows(
        shop, "SELECT order_ref, slot, active_order IS NULL FROM coupon_redemptions ORDER BY id"
    ) == [("o1", None, True), ("o2", 1, False)]
    assert scalar(shop, "SELECT uses FROM coupons") == 1
    with pytest.raises(NotFound, match="no coupon was redeemed on order nope"):
        coupons.release(shop, "nope")


def test_refunded_and_cancelled_orders_release_their_coupons(shop: str) -> None:
    coupons.create_coupon(shop, "c", CouponSpec(percent=D("10"), max_uses=3))
    for order, status, refunded in [("o1", "completed", 0), ("o2", "cancelled", 0)]:
        add_order(shop, order, "ann", 4000, NOW, status=status, refunded_minor=refunded)
        coupons.redeem(shop, "c", "ann", order, now=NOW)
    add_order(shop, "o3", "bob", 4000, NOW, refunded_minor=4000)
    add_order(shop, "o4", "bob", 4000, NOW, refunded_minor=1000)  # partly refunded: kept
    coupons.redeem(shop, "c", "bob", "o3", now=NOW)
    with pytest.raises(AlreadyUsed, match="used up"):
        coupons.redeem(shop, "c", "bob", "o4", now=NOW)
    released = coupons.release_undone_orders(shop, now=NOW)
    assert sorted(r.order for r in released) == ["o2", "o3"]
    assert coupons.release_undone_orders(shop, now=NOW) == []
    assert scalar(shop, "SELECT uses FROM coupons") == 1
    assert coupons.redeem(shop, "c", "bob", "o4", now=NOW).discount_minor == 300


def test_the_store_order_gives_the_total_when_none_is_passed(shop: str) -> None:
    coupons.create_coupon(shop, "ten", CouponSpec(percent=D("10")))
    add_order(shop, "o1", "ann", 4000, NOW, refunded_minor=1000)
    assert coupons.redeem(shop, "ten", "ann", "o1", now=NOW).discount_minor == 300
    with pytest.raises(UserError, match="not in the store: give its total"):
        coupons.redeem(shop, "ten", "ann", "o2", now=NOW)


def test_a_dry_run_judges_without_writing(shop: str) -> None:
    coupons.create_coupon(shop, "ten", CouponSpec(percent=D("10"), min_order=D("10")))
    check = coupons.redeem(shop, "ten", "ann", "o1", order_total=D(30), dry_run=True)
    assert check.discount_minor == 300
    with pytest.raises(NotEligible):
        coupons.redeem(shop, "ten", "ann", "o1", order_total=D(5), dry_run=True)
    assert scalar(shop, "SELECT count(*) FROM coupon_redemptions") == 0


def test_unknown_coupon_and_customer(shop: str) -> None:
    with pytest.raises(NotFound, match="no coupon 'MISSING'"):
        _redeem(shop, "missing", "o1")
    coupons.create_coupon(shop, "ten", CouponSpec(percent=D("10")))
    with pytest.raises(NotFound, match="no customer 'zed'"):
        _redeem(shop, "ten", "o1", who="zed")


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        (CouponSpec(), "exactly one of a percent, an amount or free shipping"),
        (CouponSpec(percent=D(5), amount=D(1)), "exactly one"),
        (CouponSpec(percent=D(0)), r"percent 0 is not in \(0, 100\]"),
        (CouponSpec(percent=D("100.01")), "not in"),
        (CouponSpec(percent=D("5.555")), "more than 2 decimals"),
        (CouponSpec(amount=D("1.005")), "more than 2 decimal places"),
        (CouponSpec(amount=D(0)), "amount must be greater than 0"),
        (CouponSpec(amount=D(1), max_uses=0), "max uses must be at least 1"),
        (CouponSpec(amount=D(1), per_customer=0), "per-customer limit must be at least 1"),
        (CouponSpec(amount=D(1), starts_at=NOW, expires_at=NOW), "expire .* before it starts"),
    ],
)
def test_bad_coupon_requests_are_refused_whole(shop: str, spec: CouponSpec, reason: str) -> None:
    with pytest.raises(UserError, match=reason):
        coupons.create_coupon(shop, "bad", spec)
    assert scalar(shop, "SELECT count(*) FROM coupons") == 0


def test_creating_a_code_again_is_a_no_op_unless_the_terms_differ(shop: str) -> None:
    first = coupons.create_coupon(shop, "summer-10", CouponSpec(percent=D("10"), max_uses=5))
    again = coupons.create_coupon(shop, "SUMMER10", CouponSpec(percent=D("10.00"), max_uses=5))
    assert (first.created, again.created, again.code) == (True, False, "SUMMER10")
    with pytest.raises(UserError, match="already exists with other terms"):
        coupons.create_coupon(shop, "summer10", CouponSpec(percent=D("15"), max_uses=5))


def test_tier_only_coupon_reads_the_tier_the_store_holds(shop: str, example_program) -> None:
    loyalty.load_program(shop, example_program)
    add_order(shop, "big", "ann", 60_000, NOW - timedelta(days=10))  # 600.00: Gold from 500
    loyalty.recompute_tiers(shop, as_of=NOW)
    coupons.create_coupon(shop, "gold", CouponSpec(amount=D("10"), min_tier="Gold"))
    assert _redeem(shop, "gold", "o1").discount_minor == 1000
    with pytest.raises(NotEligible, match="tier Gold and above"):
        _redeem(shop, "gold", "o2", who="bob")


def test_a_disabled_coupon_is_refused_until_enabled(shop: str) -> None:
    coupons.create_coupon(shop, "off", CouponSpec(percent=D("10")))
    _redeem(shop, "off", "o1")
    assert coupons.set_disabled(shop, "off").disabled is True
    with pytest.raises(Expired, match="coupon is disabled"):
        _redeem(shop, "off", "o2")
    coupons.set_disabled(shop, "off", disabled=False)
    _redeem(shop, "off", "o3")
    assert scalar(shop, "SELECT count(*) FROM coupon_redemptions") == 2


def test_a_released_slot_is_the_next_one_taken(shop: str) -> None:
    coupons.create_coupon(shop, "three", CouponSpec(amount=D("1"), max_uses=3))
    for order in ("o1", "o2", "o3"):
        _redeem(shop, "three", order)
    coupons.release(shop, "o2", now=NOW)
    _redeem(shop, "three", "o4", who="bob")
    with pytest.raises(AlreadyUsed, match="used up"):
        _redeem(shop, "three", "o5", who="bob")
    assert rows(
        shop, "SELECT order_ref, slot FROM coupon_redemptions WHERE slot IS NOT NULL ORDER BY slot"
    ) == [("o1", 1), ("o4", 2), ("o3", 3)]


def _scored(url: str, as_of: str, customer: str, segment: str, stage: str, vip: bool) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        run = conn.execute(
            sa.text("SELECT id FROM score_runs WHERE as_of = :d"), {"d": as_of}
        ).scalar_one_or_none()
        if run is None:
            run = conn.execute(
                sa.text(
                    "INSERT INTO score_runs (as_of, parameters, settings, customers) "
                    "VALUES (:d, '{}', '{}', 1) RETURNING id"
                ),
                {"d": as_of},
            ).scalar_one()
            if conn.dialect.name == "postgresql":  # one partition per run there
                conn.exec_driver_sql(
                    f"CREATE TABLE {partition_name(run)} PARTITION OF customer_scores "
                    f"FOR VALUES IN ({int(run)})"
                )
        conn.execute(
            sa.text(
                "INSERT INTO customer_scores (run_id, customer_id, recency_days, orders, "
                "spend_minor, r_score, f_score, m_score, segment, stage, vip) SELECT :r, id, "
                "3, 9, 90000, 5, 5, 5, :s, :st, :v FROM customers WHERE external_id = :c"
            ),
            {"r": run, "s": segment, "st": stage, "v": vip, "c": customer},
        )
    engine.dispose()


def test_segment_only_coupon_reads_the_newest_scoring_run(shop: str) -> None:
    coupons.create_coupon(shop, "champ", CouponSpec(percent=D("20"), segment="champions"))
    coupons.create_coupon(shop, "vip", CouponSpec(percent=D("20"), segment="VIP"))
    _scored(shop, "2026-04-01", "ann", "Lost", "churned", False)
    _scored(shop, "2026-05-01", "ann", "Champions", "active", True)
    _scored(shop, "2026-05-01", "bob", "At risk", "at risk", False)
    assert _redeem(shop, "champ", "o1").discount_minor == 1000  # the May run, any case
    assert _redeem(shop, "vip", "o2").discount_minor == 1000
    with pytest.raises(NotEligible, match="segment 'champions' only"):
        _redeem(shop, "champ", "o3", who="bob")
