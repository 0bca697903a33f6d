"""The points, tier and loyalty commands: exit 0 on success, a distinct code and one line on
refusals and mistakes, ``--db`` or HOLDFAST_DATABASE_URL for the store."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from loyalty_helpers import add_customers, add_order, ledger_problems, run, scalar


@pytest.fixture
def shop(store_url: str, example_program: Path) -> str:
    add_customers(store_url, ["ann", "bob"])
    assert run("points", "program", example_program, "--db", store_url).exit_code == 0
    return store_url


def _one_line_error(result, code: int, text: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == code, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and text in lines[0], result.stderr
    assert "Traceback" not in result.output


def test_earn_redeem_balance_history(shop: str) -> None:
    db = ("--db", shop)
    earned = run("points", "earn", "ann", "500", "--key", "k1", "--reason", "welcome", *db)
    assert earned.exit_code == 0 and "+500 points, balance 500" in earned.stdout
    replay = run("points", "earn", "ann", "500", "--key", "k1", *db)
    assert replay.exit_code == 0 and replay.stdout.startswith("replayed: ")
    spent = run("points", "redeem", "ann", "120", "--key", "r1", *db)
    assert spent.exit_code == 0 and "balance 380" in spent.stdout
    balance = run("points", "balance", "ann", *db)
    assert balance.exit_code == 0 and "ann: 380 points" in balance.stdout
    history = run("points", "history", "ann", *db)
    assert history.exit_code == 0
    assert [line.split()[3] for line in history.stdout.splitlines()] == ["redeem", "earn"]
    assert scalar(shop, "SELECT balance FROM loyalty_accounts") == 380


def test_refusals_and_mistakes_have_their_own_exit_codes(shop: str, tmp_path: Path) -> None:
    db = ("--db", shop)
    run("points", "earn", "ann", "100", "--key", "k1", *db)
    _one_line_error(
        run("points", "redeem", "ann", "101", "--key", "r1", *db), 11, "insufficient points"
    )
    _one_line_error(
        run("points", "redeem", "ann", "50", "--key", "k1", *db),
        15,
        "belongs to an earlier earn request",
    )
    _one_line_error(run("points", "balance", "nobody", *db), 4, "no customer 'nobody'")
    _one_line_error(run("points", "earn", "ann", "0", "--key", "k2", *db), 2, "above 0")
    missing = tmp_path / "empty.db"
    _one_line_error(
        run("points", "balance", "ann", "--db", f"sqlite:///{missing}"), 6, "holdfast db upgrade"
    )
    assert ledger_problems(shop) == []


def test_the_store_comes_from_the_environment(shop: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOLDFAST_DATABASE_URL", shop)
    assert run("points", "earn", "bob", "7", "--key", "e").exit_code == 0
    assert "bob: 7 points" in run("points", "balance", "bob").stdout


def test_expire_and_expiring(shop: str) -> None:
    db = ("--db", shop)
    run("points", "earn", "ann", "80", "--key", "k1", "--as-of", "2026-03-10", *db)
    # 12 months, moved to the month's end: gone from 2027-04-01
    soon = run("points", "expiring", "--as-of", "2027-03-15", *db)
    assert soon.exit_code == 0 and "ann\t80\t2027-04-01 00:00" in soon.stdout
    first = run("points", "expire", "--as-of", "2027-04-01", *db)
    assert first.exit_code == 0 and first.stdout.strip() == "80 points expired for 1 customers"
    second = run("points", "expire", "--as-of", "2027-04-01", *db)
    assert second.stdout.strip() == "0 points expired for 0 customers"
    _one_line_error(run("points", "expire", "--as-of", "soon", *db), 2, "'soon' is not a date")


def test_tiers_and_rewards(shop: str) -> None:
    db = ("--db", shop)
    add_order(shop, "o1", "ann", 60000, datetime(2026, 2, 1))
    recompute = run("tier", "recompute", "--as-of", "2026-03-01", *db)
    assert recompute.exit_code == 0 and recompute.stdout.startswith(
        "2 customers: 2 placed, 0 moved up"
    )
    show = run("tier", "show", "ann", "--history", "--as-of", "2026-03-01", *db)
    assert show.exit_code == 0
    assert "ann: tier Gold since 2026-03-01" in show.stdout
    assert "next: Platinum at 1,000.00 EUR (400.00 EUR to go)" in show.stdout
    orders = run("points", "orders", *db)
    # Gold earns 1.5 points per euro: 600 × 1.5 = 900, plus 10 per order
    assert orders.exit_code == 0 and orders.stdout.startswith("1 orders credited with 910 ")
    birthdays = run("points", "birthdays", "--as-of", "2026-03-01", *db)
    assert birthdays.exit_code == 0 and birthdays.stdout.startswith("0 birthday bonuses")
    rewards = run("points", "rewards", *db)
    assert rewards.stdout.splitlines()[0].startswith("free-shipping\t250 points")


def test_check_config(example_program: Path, tmp_path: Path) -> None:
    good = run("loyalty", "check-config", example_program)
    assert good.exit_code == 0 and "is valid (EUR, 4 tiers, 3 rewards" in good.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text('[earn]\npoints_per_unit = "-1"\nper_ordr = 5\n')
    result = run("loyalty", "check-config", bad)
    assert result.exit_code == 3
    assert "2 problems" in result.stderr and "did you mean 'per_order'" in result.stderr
    assert "Traceback" not in result.output
