"""``holdfast points …``: the loyalty program, balances, earning, redeeming, rewards, expiry.

Every write takes ``--key``: the same command run again with the same key changes nothing
and prints the first result. Refusals exit with their own codes (docs/loyalty.md): 11 too few
points, 12 already used, 13 expired, 14 not eligible, 15 key used for another request.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from holdfast.cli.app import DbOption, app, command
from holdfast.errors import UserError

points_app = typer.Typer(
    help="Loyalty points: program, balance, earn, redeem, expire.", no_args_is_help=True
)
app.add_typer(points_app, name="points")

KeyOption = Annotated[
    str,
    typer.Option(
        "--key",
        help="Idempotency key: a replay with the same key changes nothing.",
        show_default=False,
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="DATE",
        help="Act as of this UTC date or time (YYYY-MM-DD or ISO 8601; default now).",
        show_default=False,
    ),
]
Customer = Annotated[str, typer.Argument(help="The shop's customer id.", show_default=False)]


def when(text: str | None) -> datetime | None:
    """A ``--as-of`` style value as naive UTC; a UserError for anything else."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"{text!r} is not a date like 2026-01-31 or 2026-01-31T12:00") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def store(db: str | None) -> str:
    """The store URL from ``--db``, ``HOLDFAST_DATABASE_URL`` or the default."""
    from holdfast.config import load_settings

    return load_settings(database_url=db).database_url


def say(text: str) -> None:
    """One plain line on stdout (tabs kept, so lists can be cut or read by scripts)."""
    typer.echo(text)


@command("program", group=points_app)
def program_cmd(
    file: Annotated[
        Path | None,
        typer.Argument(help="A program file (TOML) to check and put in force.", show_default=False),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Only check the file; change nothing.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Put a loyalty program file in force (every problem is listed), or show the one in force."""
    from holdfast.services import loyalty

    if file is not None and check:
        _, program = loyalty.read_program_file(file)
        say(f"{file}: program {program.name!r} is valid")
        return
    if file is not None:
        info = loyalty.load_program(store(db), file)
        state = "now in force" if info.changed else "already in force"
        say(f"program {info.name!r} (version {info.id}) is {state}")
        return
    current = loyalty.current_program(store(db))
    if current is None:
        raise UserError("no loyalty program is loaded: run `holdfast points program FILE`")
    p = current.program
    say(f"program {p.name!r} (version {current.id}, loaded {current.loaded_at:%Y-%m-%d %H:%M})")
    say(f"earn: {p.earn.points_per_unit} points per {p.currency}, {p.earn.per_order} per order")
    if p.expiry.after_months is None:
        say("expiry: points never expire")
    else:
        say(f"expiry: {p.expiry.after_months} months ({p.expiry.round_to})")
    if p.tiers:
        say("tiers: " + ", ".join(t.name for t in p.tiers.levels))
    if p.rewards:
        say("rewards: " + ", ".join(f"{r.id} ({r.points} points)" for r in p.rewards.values()))


@command("balance", group=points_app)
def balance_cmd(customer: Customer, as_of: AsOfOption = None, db: DbOption = None) -> None:
    """Show a customer's points and when they expire."""
    from holdfast.services import loyalty

    result = loyalty.balance(store(db), customer, now=when(as_of))
    say(f"{customer}: {result.points:,} points")
    if result.past_expiry:
        say(f"  {result.past_expiry:,} of them are past expiry (removed by the next expiry run)")
    for moment, points in result.expiring[:5]:
        say(f"  {points:,} expire on {moment:%Y-%m-%d %H:%M}")


@command("earn", group=points_app)
def earn_cmd(
    customer: Customer,
    points: Annotated[int, typer.Argument(help="Points to credit.", show_default=False)],
    key: KeyOption,
    reason: Annotated[str | None, typer.Option(help="Why (shown on the statement).")] = None,
    as_of: AsOfOption = None,
    db: DbOption = None,
) -> None:
    """Credit points to a customer."""
    from holdfast.services import loyalty

    say(loyalty.earn(store(db), customer, points, key, reason=reason, now=when(as_of)).line())


@command("redeem", group=points_app)
def redeem_cmd(
    customer: Customer,
    points: Annotated[int, typer.Argument(help="Points to spend.", show_default=False)],
    key: KeyOption,
    reason: Annotated[str | None, typer.Option(help="What for.")] = None,
    as_of: AsOfOption = None,
    db: DbOption = None,
) -> None:
    """Spend a customer's points (oldest first); refused with exit code 11 if too few."""
    from holdfast.services import loyalty

    say(loyalty.redeem(store(db), customer, points, key, reason=reason, now=when(as_of)).line())


@command("adjust", group=points_app)
def adjust_cmd(
    customer: Customer,
    points: Annotated[
        int,
        typer.Argument(
            help="Points to add, or take with a minus (write -- -50).", show_default=False
        ),
    ],
    key: KeyOption,
    reason: Annotated[str, typer.Option(help="Why (required).", show_default=False)],
    as_of: AsOfOption = None,
    db: DbOption = None,
) -> None:
    """Correct a balance by hand; a negative adjustment never takes it below zero."""
    from holdfast.services import loyalty

    say(loyalty.adjust(store(db), customer, points, key, reason, now=when(as_of)).line())


@command("reverse", group=points_app)
def reverse_cmd(
    entry: Annotated[
        int, typer.Argument(help="Ledger entry id (see history).", show_default=False)
    ],
    key: KeyOption,
    reason: Annotated[str | None, typer.Option(help="Why.")] = None,
    as_of: AsOfOption = None,
    db: DbOption = None,
) -> None:
    """Undo a ledger entry: take back a credit, or give back a redemption."""
    from holdfast.services import loyalty

    say(loyalty.reverse(store(db), entry, key, reason=reason, now=when(as_of)).line())


@command("event", group=points_app)
def event_cmd(
    customer: Customer,
    event: Annotated[str, typer.Argument(help="review, social_share, birthday or a custom event.")],
    key: KeyOption,
    as_of: AsOfOption = None,
    db: DbOption = None,
) -> None:
    """Credit the program's bonus points for an event."""
    from holdfast.services import loyalty

    say(loyalty.earn_event(store(db), customer, event, key, now=when(as_of)).line())


@command("birthdays", group=points_app)
def birthdays_cmd(as_of: AsOfOption = None, db: DbOption = None) -> None:
    """Credit the birthday bonus to today's birthdays (once a year each; run it daily)."""
    from holdfast.services import loyalty

    summary = loyalty.earn_birthdays(store(db), as_of=when(as_of))
    say(
        f"{summary.credited:,} birthday bonuses credited ({summary.points:,} points); "
        f"{summary.replayed:,} already given this year"
    )


@command("join", group=points_app)
def join_cmd(customer: Customer, as_of: AsOfOption = None, db: DbOption = None) -> None:
    """Enrol a customer in the members' club (when the program is one)."""
    from holdfast.services import loyalty

    joined = loyalty.join(store(db), customer, now=when(as_of))
    say(f"{customer} is a member since {joined:%Y-%m-%d %H:%M}")


@command("history", group=points_app)
def history_cmd(
    customer: Customer,
    limit: Annotated[int, typer.Option(help="Entries to show, newest first.")] = 20,
    db: DbOption = None,
) -> None:
    """Show a customer's ledger entries, newest first."""
    from holdfast.services import loyalty

    for entry in loyalty.statement(store(db), customer, limit=limit):
        note = entry.reason or entry.reference or ""
        say(
            f"{entry.id:>8}  {entry.effective_at:%Y-%m-%d %H:%M}  {entry.kind:<7} "
            f"{entry.points:>+9,}  {note}"
        )


@command("orders", group=points_app)
def orders_cmd(
    since: Annotated[
        str | None,
        typer.Option(metavar="DATE", help="Only orders changed since then.", show_default=False),
    ] = None,
    db: DbOption = None,
) -> None:
    """Credit imported orders per the program; take back refunded and cancelled ones."""
    from holdfast.services import loyalty

    say(loyalty.earn_for_orders(store(db), since=when(since)).line())


@command("expire", group=points_app)
def expire_cmd(as_of: AsOfOption = None, db: DbOption = None) -> None:
    """Expire points past their date (safe to run again, or from two places at once)."""
    from holdfast.services import loyalty

    summary = loyalty.expire_points(store(db), as_of=when(as_of))
    say(f"{summary.points:,} points expired for {summary.customers:,} customers")


@command("expiring", group=points_app)
def expiring_cmd(
    within_days: Annotated[
        int | None,
        typer.Option(
            help="Window in days (default: the program's remind_days).", show_default=False
        ),
    ] = None,
    as_of: AsOfOption = None,
    db: DbOption = None,
) -> None:
    """List who has points expiring soon, how many, and when (for reminders)."""
    from holdfast.services import loyalty

    rows = loyalty.expiring_points(store(db), within_days=within_days, as_of=when(as_of))
    for row in rows:
        say(f"{row.customer}\t{row.points}\t{row.first_expiry:%Y-%m-%d %H:%M}")
    say(f"{len(rows):,} customers, {sum(r.points for r in rows):,} points expiring")


@command("rewards", group=points_app)
def rewards_cmd(db: DbOption = None) -> None:
    """List the reward catalogue: what points buy (`holdfast coupon reward` buys one)."""
    from holdfast.services import loyalty

    for reward in loyalty.rewards(store(db)):
        say(f"{reward.id}\t{reward.points:,} points\t{reward.name}")
