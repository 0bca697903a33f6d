"""``holdfast referral …``: referral codes, recording a referral, the reward job, the report.

A refused referral exits 14 with the guard that said no (self-referral, already referred,
bought before, same email, phone or payment fingerprint as the referrer or another friend).
"""

from __future__ import annotations

from typing import Annotated

import typer

from holdfast.cli.app import DbOption, app, command
from holdfast.cli.points_cmd import AsOfOption, Customer, say, store, when

referral_app = typer.Typer(help="Referrals: codes, record, reward, report.", no_args_is_help=True)
app.add_typer(referral_app, name="referral")


@command("code", group=referral_app)
def code_cmd(customer: Customer, db: DbOption = None) -> None:
    """Show a customer's referral code (made on first use)."""
    from holdfast.services import referrals

    say(referrals.referral_code(store(db), customer).code)


@command("record", group=referral_app)
def record_cmd(
    code: Annotated[str, typer.Argument(help="The referral code the friend came with.")],
    friend: Annotated[str, typer.Option("--friend", help="The friend's customer id.")],
    payment: Annotated[
        str | None,
        typer.Option("--payment", help="The friend's payment fingerprint (from the shop)."),
    ] = None,
    as_of: AsOfOption = None,
    db: DbOption = None,
) -> None:
    """Record that a friend came with a referral code; refused with the guard's reason."""
    from holdfast.services import referrals

    say(referrals.record_referral(store(db), code, friend, payment=payment, now=when(as_of)).line())


@command("reward", group=referral_app)
def reward_cmd(as_of: AsOfOption = None, db: DbOption = None) -> None:
    """Reward both sides of referrals whose friend completed a first order (safe to repeat)."""
    from holdfast.services import referrals

    run = referrals.reward_referrals(store(db), now=when(as_of))
    for note in run.notes:
        say(note)
    say(run.line())


@command("report", group=referral_app)
def report_cmd(db: DbOption = None) -> None:
    """Every referrer's friends by status and the rewards they received."""
    from holdfast.services import referrals

    report = referrals.referral_report(store(db))
    say("referrer\tcode\treferred\tpending\trewarded\trefused\tpoints\tcoupons")
    for line in report.lines:
        say(
            f"{line.customer}\t{line.code or '-'}\t{line.referred}\t{line.pending}\t"
            f"{line.rewarded}\t{line.refused}\t{line.points}\t{line.coupons}"
        )
    say(
        f"{report.referred:,} friends referred, {report.rewarded:,} rewarded; "
        f"{report.points:,} points and {report.coupons:,} coupons given in all"
    )
