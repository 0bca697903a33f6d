"""``holdfast referral …`` end to end: code, record (refusals exit 14 with one line), the
reward job and the report."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from loyalty_helpers import add_customers, add_order, balances, run


def test_refer_reward_and_report(store_url: str, example_program: Path) -> None:
    add_customers(store_url, ["ann", "bob"])
    db = ("--db", store_url)
    assert run("points", "program", example_program, *db).exit_code == 0
    code = run("referral", "code", "ann", *db).stdout.strip()
    assert len(code) == 8 and run("referral", "code", "ann", *db).stdout.strip() == code
    self_ref = run("referral", "record", code, "--friend", "ann", *db)
    assert self_ref.exit_code == 14 and "cannot refer themselves" in self_ref.stderr
    assert "Traceback" not in self_ref.output
    recorded = run("referral", "record", code, "--friend", "bob", "--as-of", "2026-03-01", *db)
    assert recorded.exit_code == 0 and "ann referred bob" in recorded.stdout
    add_order(store_url, "b1", "bob", 2000, datetime(2026, 3, 2))
    rewarded = run("referral", "reward", "--as-of", "2026-03-03", *db)
    assert rewarded.exit_code == 0, rewarded.output
    assert "1 referrals rewarded (500 points, 1 coupons)" in rewarded.stdout
    assert balances(store_url) == {"ann": 500}
    report = run("referral", "report", *db)
    assert f"ann\t{code}\t1\t0\t1\t0\t500\t0" in report.stdout
    assert "1 friends referred, 1 rewarded; 500 points and 1 coupons given in all" in report.stdout
    missing = run("referral", "record", "nope", "--friend", "bob", *db)
    assert missing.exit_code == 4 and "no referral code 'NOPE'" in missing.stderr
