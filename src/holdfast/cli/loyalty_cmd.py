"""``holdfast loyalty check-config FILE``: check a program file without a store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from holdfast.cli.app import app, command
from holdfast.cli.points_cmd import say

loyalty_app = typer.Typer(help="Loyalty program files.", no_args_is_help=True)
app.add_typer(loyalty_app, name="loyalty")


@command("check-config", group=loyalty_app)
def check_config_cmd(
    file: Annotated[Path, typer.Argument(help="A program file (TOML).", show_default=False)],
) -> None:
    """Check a loyalty program file and list every problem (exit 3 when there are any)."""
    from holdfast.services import loyalty

    _, program = loyalty.read_program_file(file)
    tiers = len(program.tiers.levels) if program.tiers else 0
    say(
        f"{file}: program {program.name!r} is valid ({program.currency}, {tiers} tiers, "
        f"{len(program.rewards)} rewards, {len(program.earn.events)} bonus events)"
    )
