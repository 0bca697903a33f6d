"""``holdfast coupon …`` end to end: exit 0 on success, a distinct code and one line on a
refusal, never a traceback; the store is checked with plain SQL."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from loyalty_helpers import add_customers, add_order, rows, run, scalar
from typer.testing import Result

NOW = "2026-06-01T12:00"


def _refused(result: Result, code: int, text: str) -> None:
    assert result.exit_code == code, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and text in lines[0], result.stderr
    assert "Traceback" not in result.output


def test_create_redeem_show_release(store_url: str) -> None:
    add_customers(store_url, ["ann", "bob"])
    db = ("--db", store_url)
    made = run(
        "coupon",
        "create",
        "summer-10",
        "--single-use",
        "--percent",
        "10",
        "--min-order",
        "20.00",
        "--expires",
        "2026-07-01",
        *db,
    )
    assert made.exit_code == 0, made.output
    assert "created SUMMER10: 10% off, orders from 20.00, used 0/1" in made.stdout
    ok = run(
        "coupon",
        "redeem",
        "summer10",
        "--customer",
        "ann",
        "--order",
        "o1",
        "--total",
        "35.00",
        "--as-of",
        NOW,
        *db,
    )
    assert ok.exit_code == 0, ok.output
    assert "SUMMER10 on order o1 (ann, 35.00): 3.50 off" in ok.stdout
    again = run(
        "coupon",
        "redeem",
        "SUMMER10",
        "--customer",
        "ann",
        "--order",
        "o1",
        "--total",
        "35.00",
        "--as-of",
        NOW,
        *db,
    )
    assert again.exit_code == 0 and "already redeemed on this order" in again.stdout
    _refused(
        run(
            "coupon",
            "redeem",
            "SUMMER10",
            "--customer",
            "bob",
            "--order",
            "o2",
            "--total",
            "35.00",
            "--as-of",
            NOW,
            *db,
        ),
        12,
        "error: coupon already redeemed",
    )
    assert "used 1/1" in run("coupon", "show", "summer10", *db).stdout
    released = run("coupon", "release", "o1", "--reason", "refunded", *db)
    assert released.exit_code == 0 and "SUMMER10 on order o1 released" in released.stdout
    assert rows(store_url, "SELECT release_reason, slot FROM coupon_redemptions") == [
        ("refunded", None)
    ]


def test_refusals_have_their_own_exit_codes(store_url: str) -> None:
    add_customers(store_url, ["ann"])
    add_order(store_url, "first", "ann", 1000, datetime(2026, 1, 1))
    db = ("--db", store_url)
    run("coupon", "create", "old", "--amount", "5", "--expires", "2026-01-01", *db)
    run("coupon", "create", "welcome", "--percent", "10", "--first-order-only", *db)
    run("coupon", "create", "big", "--amount", "5", "--min-order", "100", *db)
    redeem = ("coupon", "redeem", "--customer", "ann", "--total", "50", "--as-of", NOW)
    _refused(run(*redeem[:2], "old", *redeem[2:], "--order", "a", *db), 13, "expired at 2026-01-01")
    _refused(run(*redeem[:2], "welcome", *redeem[2:], "--order", "b", *db), 14, "first order only")
    _refused(run(*redeem[:2], "big", *redeem[2:], "--order", "c", *db), 14, "minimum of 100.00")
    _refused(run(*redeem[:2], "nope", *redeem[2:], "--order", "d", *db), 4, "no coupon 'NOPE'")
    _refused(run("coupon", "create", "x", "--percent", "5", "--amount", "1", *db), 2, "exactly one")
    _refused(run("coupon", "create", "y", "--amount", "lots", *db), 2, "not a number")
    assert run("coupon", "disable", "big", *db).exit_code == 0
    _refused(run(*redeem[:2], "big", *redeem[2:], "--order", "e", *db), 13, "coupon is disabled")
    assert scalar(store_url, "SELECT count(*) FROM coupon_redemptions") == 0


def test_batch_prints_or_writes_its_codes_once(store_url: str, tmp_path: Path) -> None:
    db = ("--db", store_url)
    printed = run("coupon", "batch", "5", "--key", "spring", "--prefix", "sp", "--amount", "2", *db)
    assert printed.exit_code == 0, printed.output
    codes = printed.stdout.split()
    assert len(codes) == 5 and all(c.startswith("SP") and len(c) == 14 for c in codes)
    out = tmp_path / "codes.txt"
    again = run(
        "coupon", "batch", "5", "--key", "spring", "--prefix", "sp", "--amount", "2", "-o", out, *db
    )
    assert "already made (same key)" in again.stdout
    assert out.read_text().split() == codes
    _refused(
        run("coupon", "batch", "6", "--key", "spring", "--amount", "2", *db),
        15,
        "batch key 'spring' was first used for a different batch",
    )
    assert scalar(store_url, "SELECT count(*) FROM coupons") == 5


def test_issue_and_reward_from_the_program(store_url: str, example_program: Path) -> None:
    add_customers(store_url, ["ann"])
    db = ("--db", store_url)
    assert run("points", "program", example_program, *db).exit_code == 0
    issued = run(
        "coupon", "issue", "birthday", "--customer", "ann", "--trigger", "2026", "--as-of", NOW, *db
    )
    assert issued.exit_code == 0 and "issued BIRTHDAY" in issued.stdout
    assert "valid until 2026-06-15 12:00" in issued.stdout
    _refused(run("coupon", "reward", "ann", "espresso", "--key", "k1", *db), 11, "insufficient")
    assert run("points", "earn", "ann", "400", "--key", "e1", *db).exit_code == 0
    bought = run("coupon", "reward", "ann", "espresso", "--key", "k1", *db)
    assert bought.exit_code == 0 and "issued REWARD_ESPRE" in bought.stdout
    assert scalar(store_url, "SELECT balance FROM loyalty_accounts") == 50
