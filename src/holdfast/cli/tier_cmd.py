"""``holdfast tier …``: the tier a customer holds, and the recompute that moves customers."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import typer

from holdfast.cli.app import DbOption, app, command
from holdfast.cli.points_cmd import AsOfOption, Customer, say, store, when

tier_app = typer.Typer(
    help="Loyalty tiers: show a customer's, recompute all.", no_args_is_help=True
)
app.add_typer(tier_app, name="tier")


def _amount(value: int, basis: str, exponent: int, currency: str) -> str:
    if basis == "points":
        return f"{value:,} points"
    return f"{Decimal(value).scaleb(-exponent):,.{exponent}f} {currency}"


@command("show", group=tier_app)
def show_cmd(
    customer: Customer,
    history: Annotated[bool, typer.Option("--history", help="List every move too.")] = False,
    as_of: AsOfOption = None,
    db: DbOption = None,
) -> None:
    """Show the tier a customer holds, the rolling value and what it qualifies for."""
    from holdfast.services import loyalty

    url = store(db)
    view = loyalty.tier_status(url, customer, as_of=when(as_of))
    current = loyalty.current_program(url)
    exponent, currency = (
        (current.program.exponent, current.program.currency) if current else (2, "")
    )

    def amount(value: int) -> str:
        return _amount(value, view.basis, exponent, currency)

    held = view.tier.name if view.tier else "none yet (run `holdfast tier recompute`)"
    since = f" since {view.since:%Y-%m-%d}" if view.since else ""
    say(f"{customer}: tier {held}{since}")
    say(f"  rolling {view.basis}: {amount(view.value)}, qualifies for {view.qualifies_for.name}")
    if view.next_tier is not None:
        need = max(view.next_tier.threshold - view.value, 0)
        say(
            f"  next: {view.next_tier.name} at {amount(view.next_tier.threshold)}"
            f" ({amount(need)} to go)"
        )
    if history:
        for moment, old, new, value in loyalty.tier_changes(url, customer):
            say(f"  {moment:%Y-%m-%d}  {old or '-'} -> {new}  ({amount(value)})")


@command("recompute", group=tier_app)
def recompute_cmd(as_of: AsOfOption = None, db: DbOption = None) -> None:
    """Move customers up or down per the tier rules (safe to run again, or twice at once)."""
    from holdfast.services import loyalty

    say(loyalty.recompute_tiers(store(db), as_of=when(as_of)).line())
