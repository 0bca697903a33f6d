"""Expiry: the oldest unspent points expire, the job is safe to rerun, reminders know who loses
how many points and when."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from loyalty_helpers import add_customers, ledger_problems, rows, scalar, use_program

from holdfast.domain.loyalty_refusals import InsufficientPoints
from holdfast.services import loyalty


@pytest.fixture
def yearly(store_url: str, tmp_path: Path) -> str:
    use_program(store_url, "[expiry]\nafter_months = 12\nremind_days = 30\n", tmp_path)
    add_customers(store_url, ["ann", "bob", "cat"])
    return store_url


def test_the_oldest_unspent_points_expire_and_a_rerun_expires_nothing(yearly: str) -> None:
    loyalty.earn(yearly, "ann", 100, "a1", now=datetime(2026, 1, 10))
    loyalty.earn(yearly, "ann", 50, "a2", now=datetime(2026, 6, 10))
    loyalty.redeem(yearly, "ann", 120, "a3", now=datetime(2026, 7, 1))  # 100 Jan + 20 June
    loyalty.earn(yearly, "bob", 70, "b1", now=datetime(2026, 2, 1))
    first = loyalty.expire_points(yearly, as_of=datetime(2027, 2, 1))
    assert (first.customers, first.points) == (1, 70)  # ann's January lot was spent
    assert loyalty.expire_points(yearly, as_of=datetime(2027, 2, 1)).points == 0
    later = loyalty.expire_points(yearly, as_of=datetime(2027, 6, 10))
    assert (later.customers, later.points) == (1, 30)  # ann's June lot: what is left of it
    assert rows(yearly, "SELECT kind, points FROM loyalty_entries WHERE kind = 'expire'") == [
        ("expire", -70),
        ("expire", -30),
    ]
    expired_lots = rows(
        yearly,
        "SELECT x.lot_id, x.points FROM loyalty_allocations x "
        "JOIN loyalty_entries e ON e.id = x.entry_id WHERE e.kind = 'expire' ORDER BY x.id",
    )
    assert expired_lots == [(4, 70), (2, 30)]
    assert ledger_problems(yearly) == []


def test_a_redemption_cannot_spend_points_past_their_expiry(yearly: str) -> None:
    loyalty.earn(yearly, "ann", 100, "a1", now=datetime(2026, 1, 10))
    loyalty.earn(yearly, "ann", 10, "a2", now=datetime(2026, 12, 1))
    assert loyalty.balance(yearly, "ann", now=datetime(2027, 1, 11)).spendable == 10
    with pytest.raises(InsufficientPoints, match="balance is 10"):
        loyalty.redeem(yearly, "ann", 50, "r1", now=datetime(2027, 1, 11))
    # the refused redemption wrote nothing, not even the expiry it found due
    assert scalar(yearly, "SELECT count(*) FROM loyalty_entries") == 2
    done = loyalty.redeem(yearly, "ann", 5, "r2", now=datetime(2027, 1, 11))
    assert done.balance == 5
    assert rows(yearly, "SELECT kind, points FROM loyalty_entries ORDER BY id")[2:] == [
        ("expire", -100),
        ("redeem", -5),
    ]
    assert ledger_problems(yearly) == []


def test_reminders_know_who_loses_how_many_points_and_when(yearly: str) -> None:
    loyalty.earn(yearly, "ann", 100, "a1", now=datetime(2026, 1, 10))
    loyalty.earn(yearly, "ann", 40, "a2", now=datetime(2026, 1, 20))
    loyalty.redeem(yearly, "ann", 30, "a3", now=datetime(2026, 3, 1))
    loyalty.earn(yearly, "bob", 25, "b1", now=datetime(2026, 1, 25))
    loyalty.earn(yearly, "cat", 60, "c1", now=datetime(2026, 5, 1))
    soon = loyalty.expiring_points(yearly, as_of=datetime(2027, 1, 1))
    assert [(r.customer, r.points, r.first_expiry) for r in soon] == [
        ("ann", 110, datetime(2027, 1, 10)),
        ("bob", 25, datetime(2027, 1, 25)),
    ]
    week = loyalty.expiring_points(yearly, within_days=12, as_of=datetime(2027, 1, 1))
    assert [(r.customer, r.points) for r in week] == [("ann", 70)]
    balance = loyalty.balance(yearly, "ann", now=datetime(2027, 1, 1))
    assert balance.expiring == [(datetime(2027, 1, 10), 70), (datetime(2027, 1, 20), 40)]


def test_a_reversed_redemption_of_expired_points_expires_them_again(yearly: str) -> None:
    loyalty.earn(yearly, "ann", 100, "a1", now=datetime(2026, 1, 10))
    spent = loyalty.redeem(yearly, "ann", 100, "r1", now=datetime(2026, 12, 1))
    back = loyalty.reverse(yearly, spent.entry_id, "v1", now=datetime(2027, 2, 1))
    assert back.balance == 0  # restored to a lot that expired in January
    assert [k for (k,) in rows(yearly, "SELECT kind FROM loyalty_entries ORDER BY id")] == [
        "earn",
        "redeem",
        "reverse",
        "expire",
    ]
    assert ledger_problems(yearly) == []
