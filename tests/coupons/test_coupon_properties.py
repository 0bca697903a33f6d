"""Property test: random sequences of redeem, replay and release on one coupon agree with a
plain model, and the store's invariants hold after every sequence (plain SQL)."""

from __future__ import annotations

import itertools
from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loyalty_helpers import add_customers, rows

from holdfast.domain.loyalty_refusals import AlreadyUsed
from holdfast.services import coupons
from holdfast.services.coupons import CouponSpec

NOW = datetime(2026, 6, 1)
WHO = ["ann", "bob", "cid"]
COUNTER = itertools.count()

steps = st.lists(
    st.one_of(
        st.tuples(st.just("redeem"), st.integers(0, 1)),
        st.tuples(st.just("replay"), st.integers(0, 20)),
        st.tuples(st.just("release"), st.integers(0, 20)),
    ),
    max_size=14,
)


@pytest.fixture
def shop(store_url: str) -> str:
    add_customers(store_url, WHO)
    return store_url


@settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(max_uses=st.integers(1, 3), limit=st.one_of(st.none(), st.integers(1, 2)), plan=steps)
def test_uses_follow_the_model(shop: str, max_uses: int, limit: int | None, plan) -> None:  # type: ignore[no-untyped-def]
    n = next(COUNTER)
    code = f"P{n}"
    spec = CouponSpec(amount=Decimal(1), max_uses=max_uses, per_customer=limit)
    coupons.create_coupon(shop, code, spec)
    active: dict[str, str] = {}  # order → customer, as the model sees it
    made: list[tuple[str, str]] = []
    for step, arg in plan:
        if step == "redeem":
            who, order = WHO[arg], f"{code}-o{len(made)}"
            mine = sum(1 for c in active.values() if c == who)
            allowed = len(active) < max_uses and (limit is None or mine < limit)
            try:
                coupons.redeem(shop, code, who, order, order_total=Decimal(5), now=NOW)
                assert allowed
                active[order] = who
                made.append((order, who))
            except AlreadyUsed:
                assert not allowed
        elif step == "replay" and made:
            order, who = made[arg % len(made)]
            if order in active:
                again = coupons.redeem(shop, code, who, order, order_total=Decimal(5), now=NOW)
                assert again.replayed
        elif step == "release" and made:
            order, _ = made[arg % len(made)]
            result = coupons.release(shop, order, now=NOW)
            assert result.released == (order in active)
            active.pop(order, None)
    ((uses,),) = rows(shop, "SELECT uses FROM coupons WHERE code = :c", c=code)
    held = rows(
        shop,
        "SELECT r.active_order, r.slot, c.external_id FROM coupon_redemptions r "
        "JOIN coupons k ON k.id = r.coupon_id JOIN customers c ON c.id = r.customer_id "
        "WHERE k.code = :c AND r.released_at IS NULL",
        c=code,
    )
    assert uses == len(held) == len(active) <= max_uses
    assert {order: who for order, _, who in held} == active
    assert sorted(slot for _, slot, _ in held) == sorted({slot for _, slot, _ in held})
    assert all(1 <= slot <= max_uses for _, slot, _ in held)
