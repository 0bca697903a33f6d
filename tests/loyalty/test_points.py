"""Points on the ledger: earn, redeem, adjust, reverse, events and members, on both stores.

Every test checks the ledger's invariants with plain SQL afterwards.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from loyalty_helpers import add_customers, ledger_problems, rows, scalar

from holdfast.domain.loyalty_refusals import (
    AlreadyUsed,
    InsufficientPoints,
    KeyConflict,
    NotEligible,
)
from holdfast.errors import NotFound, StoreError, UserError
from holdfast.services import loyalty

JAN = datetime(2026, 1, 15)
FEB = datetime(2026, 2, 15)


def test_earn_and_redeem_keep_balance_equal_to_the_entries(store_url: str) -> None:
    add_customers(store_url, ["ann"])
    assert loyalty.earn(store_url, "ann", 100, "e1", now=JAN).balance == 100
    assert loyalty.earn(store_url, "ann", 50, "e2", now=FEB).balance == 150
    result = loyalty.redeem(store_url, "ann", 120, "r1", reason="mug", now=FEB)
    assert (result.points, result.balance, result.replayed) == (-120, 30, False)
    assert loyalty.balance(store_url, "ann", now=FEB).points == 30
    kinds = rows(store_url, "SELECT kind, points FROM loyalty_entries ORDER BY id")
    assert kinds == [("earn", 100), ("earn", 50), ("redeem", -120)]
    # first earned, first spent: the January lot is empty, February's has 30 left
    assert rows(store_url, "SELECT points, remaining FROM loyalty_lots ORDER BY entry_id") == [
        (100, 0),
        (50, 30),
    ]
    assert ledger_problems(store_url) == []


def test_a_replayed_key_changes_nothing_and_returns_the_first_result(store_url: str) -> None:
    add_customers(store_url, ["ann"])
    first = loyalty.earn(store_url, "ann", 100, "k", now=JAN)
    loyalty.redeem(store_url, "ann", 30, "r", now=JAN)
    again = loyalty.earn(store_url, "ann", 100, "k", now=FEB)
    assert again.replayed and again.entry_id == first.entry_id and again.balance == 100
    assert loyalty.redeem(store_url, "ann", 30, "r").balance == 70
    assert scalar(store_url, "SELECT count(*) FROM loyalty_entries") == 2
    with pytest.raises(KeyConflict, match="earlier earn request with other details"):
        loyalty.earn(store_url, "ann", 999, "k")
    with pytest.raises(KeyConflict):
        loyalty.redeem(store_url, "ann", 100, "k")
    assert loyalty.balance(store_url, "ann").points == 70


def test_a_refusal_writes_nothing_and_frees_its_key(store_url: str) -> None:
    add_customers(store_url, ["ann"])
    loyalty.earn(store_url, "ann", 10, "e1", now=JAN)
    with pytest.raises(InsufficientPoints, match="balance is 10, 11 asked") as caught:
        loyalty.redeem(store_url, "ann", 11, "r1", now=JAN)
    assert caught.value.exit_code == 11
    assert scalar(store_url, "SELECT count(*) FROM loyalty_requests WHERE key = 'r1'") == 0
    loyalty.earn(store_url, "ann", 1, "e2", now=JAN)
    assert loyalty.redeem(store_url, "ann", 11, "r1", now=JAN).balance == 0
    assert ledger_problems(store_url) == []


def test_bad_requests_are_user_errors(store_url: str) -> None:
    add_customers(store_url, ["ann"])
    with pytest.raises(NotFound, match="no customer 'bob'"):
        loyalty.earn(store_url, "bob", 1, "k")
    with pytest.raises(UserError, match="above 0"):
        loyalty.earn(store_url, "ann", 0, "k")
    with pytest.raises(UserError, match="key cannot be empty"):
        loyalty.redeem(store_url, "ann", 1, "  ")
    with pytest.raises(UserError, match="needs a reason"):
        loyalty.adjust(store_url, "ann", 5, "k", " ")
    with pytest.raises(NotFound, match="no ledger entry 99"):
        loyalty.reverse(store_url, 99, "k")


def test_adjustments_go_both_ways_but_never_below_zero(store_url: str) -> None:
    add_customers(store_url, ["ann"])
    assert loyalty.adjust(store_url, "ann", 40, "a1", "goodwill", now=JAN).balance == 40
    assert loyalty.adjust(store_url, "ann", -15, "a2", "typo", now=JAN).balance == 25
    with pytest.raises(InsufficientPoints):
        loyalty.adjust(store_url, "ann", -26, "a3", "too much", now=JAN)
    assert rows(store_url, "SELECT kind, points, reason FROM loyalty_entries ORDER BY id") == [
        ("adjust", 40, "goodwill"),
        ("adjust", -15, "typo"),
    ]
    assert ledger_problems(store_url) == []


def test_reversing_a_credit_takes_its_own_lot_first_and_stops_at_zero(store_url: str) -> None:
    add_customers(store_url, ["ann"])
    old = loyalty.earn(store_url, "ann", 100, "e1", now=JAN)
    new = loyalty.earn(store_url, "ann", 50, "e2", now=FEB)
    assert loyalty.reverse(store_url, new.entry_id, "v1", now=FEB).balance == 100
    assert rows(store_url, "SELECT points, remaining FROM loyalty_lots ORDER BY entry_id") == [
        (100, 100),
        (50, 0),
    ]
    with pytest.raises(AlreadyUsed, match="already reversed"):
        loyalty.reverse(store_url, new.entry_id, "v2", now=FEB)
    loyalty.redeem(store_url, "ann", 70, "r1", now=FEB)
    partial = loyalty.reverse(store_url, old.entry_id, "v3", now=FEB)
    assert (partial.points, partial.balance) == (-30, 0)  # 70 were spent already
    assert ledger_problems(store_url) == []


def test_reversing_a_redemption_gives_the_points_back_to_their_lots(store_url: str) -> None:
    add_customers(store_url, ["ann"])
    loyalty.earn(store_url, "ann", 100, "e1", now=JAN)
    spent = loyalty.redeem(store_url, "ann", 60, "r1", now=JAN)
    back = loyalty.reverse(store_url, spent.entry_id, "v1", reason="order cancelled", now=FEB)
    assert (back.points, back.balance) == (60, 100)
    assert scalar(store_url, "SELECT remaining FROM loyalty_lots") == 100
    with pytest.raises(AlreadyUsed):
        loyalty.reverse(store_url, spent.entry_id, "v2")
    assert loyalty.reverse(store_url, spent.entry_id, "v1").replayed
    reversal = rows(store_url, "SELECT id FROM loyalty_entries WHERE kind = 'reverse'")[0][0]
    with pytest.raises(NotEligible, match="cannot be reversed"):
        loyalty.reverse(store_url, reversal, "v3")
    assert ledger_problems(store_url) == []


def test_events_and_members_club(store_url: str, tmp_path: Path) -> None:
    add_customers(store_url, ["ann", "bob"])
    program = tmp_path / "club.toml"
    program.write_text(
        "[program]\nmembers_club = true\n[earn.events]\nreview = 50\n[expiry]\nafter_months = 6\n"
    )
    loyalty.load_program(store_url, program)
    with pytest.raises(NotEligible, match="not a member"):
        loyalty.earn_event(store_url, "ann", "review", "ev1", now=JAN)
    loyalty.join(store_url, "ann", now=JAN)
    assert loyalty.earn_event(store_url, "ann", "review", "ev1", now=JAN).balance == 50
    with pytest.raises(UserError, match="no points for 'tweet'"):
        loyalty.earn_event(store_url, "ann", "tweet", "ev2", now=JAN)
    assert scalar(store_url, "SELECT expires_at FROM loyalty_lots") in (
        datetime(2026, 7, 15),
        "2026-07-15 00:00:00.000000",
    )
    summary = loyalty.earn_many(
        store_url,
        [loyalty.EarnRequest("ann", 5, "b1"), loyalty.EarnRequest("bob", 5, "b2")],
        now=JAN,
    )
    assert (summary.credited, summary.skipped) == (1, 1)


def test_loading_a_program_checks_it_and_keeps_versions(
    store_url: str, example_program: Path, tmp_path: Path
) -> None:
    info = loyalty.load_program(store_url, example_program)
    assert info.changed and info.program.name == "Bean Club"
    assert not loyalty.load_program(store_url, example_program).changed
    current = loyalty.current_program(store_url)
    assert current is not None and current.id == info.id
    broken = tmp_path / "broken.toml"
    broken.write_text("[earn]\nper_order = -1\n")
    with pytest.raises(UserError, match="1 problem"):
        loyalty.load_program(store_url, broken)
    assert scalar(store_url, "SELECT count(*) FROM loyalty_programs") == 1


def test_a_store_without_the_tables_says_what_to_do(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with pytest.raises(StoreError, match="holdfast db upgrade"):
        loyalty.balance(url, "ann")
