"""The birthday bonus: once a year per customer, 29 February on the 28th in other years."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from loyalty_helpers import add_customers, ledger_problems, rows, use_program

from holdfast.errors import UserError
from holdfast.services import loyalty


@pytest.fixture
def shop(store_url: str, tmp_path: Path) -> str:
    use_program(store_url, "[earn.events]\nbirthday = 200\n", tmp_path)
    add_customers(
        store_url,
        ["ann", "bob", "cat", "dan"],
        birthday=["1990-03-05", "1988-02-29", "1995-03-06", None],
    )
    return store_url


def _credited(url: str) -> list[tuple]:
    return rows(
        url,
        "SELECT c.external_id, e.points, e.request_key FROM loyalty_entries e "
        "JOIN customers c ON c.id = e.customer_id ORDER BY e.id",
    )


def test_each_birthday_earns_once_a_year(shop: str) -> None:
    first = loyalty.earn_birthdays(shop, as_of=datetime(2026, 3, 5, 6, 0))
    assert (first.credited, first.points, first.replayed) == (1, 200, 0)
    again = loyalty.earn_birthdays(shop, as_of=datetime(2026, 3, 5, 18, 0))
    assert (again.credited, again.replayed) == (0, 1)
    loyalty.earn_birthdays(shop, as_of=datetime(2027, 3, 5))
    assert _credited(shop) == [
        ("ann", 200, "birthday:ann:2026"),
        ("ann", 200, "birthday:ann:2027"),
    ]
    assert ledger_problems(shop) == []


def test_leap_day_birthdays_fall_on_the_28th_in_other_years(shop: str) -> None:
    assert loyalty.earn_birthdays(shop, as_of=datetime(2026, 2, 28)).credited == 1
    assert loyalty.earn_birthdays(shop, as_of=datetime(2028, 2, 28)).credited == 0
    assert loyalty.earn_birthdays(shop, as_of=datetime(2028, 2, 29)).credited == 1
    assert [c for c, _, _ in _credited(shop)] == ["bob", "bob"]


def test_a_program_without_birthday_points_says_so(store_url: str, tmp_path: Path) -> None:
    use_program(store_url, "[earn.events]\nreview = 5\n", tmp_path)
    with pytest.raises(UserError, match=r"add birthday = N to \[earn.events\]"):
        loyalty.earn_birthdays(store_url)
