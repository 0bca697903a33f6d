"""``holdfast db upgrade``: create the store or migrate it to the newest schema."""

from __future__ import annotations

import typer

from holdfast.cli.app import DbOption, app, command, console

db_app = typer.Typer(help="The store: create or migrate it.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@command("upgrade", group=db_app)
def upgrade_cmd(db: DbOption = None) -> None:
    """Create the store, or migrate it to the newest schema (safe to repeat)."""
    from holdfast.config import load_settings
    from holdfast.services.database import upgrade_store

    status = upgrade_store(load_settings(database_url=db).database_url)
    console.print(
        f"Store {status.url} is at schema revision {status.revision}",
        highlight=False,
        soft_wrap=True,
        markup=False,
    )
