"""``holdfast version``."""

from __future__ import annotations

from holdfast import __version__
from holdfast.cli.app import command, console


@command("version")
def version() -> None:
    """Print the holdfast version."""
    console.print(f"holdfast {__version__}")
