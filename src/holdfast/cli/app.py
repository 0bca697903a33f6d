"""The Typer application, shared options, and the one place errors become exit codes."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from holdfast.errors import HoldfastError, exit_code_for

app = typer.Typer(
    name="holdfast",
    help="Measure customer retention, predict it, act on it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """holdfast: measure customer retention, predict it, act on it.

    Start with `holdfast demo`, or `holdfast report orders.csv` on your own export.
    """


console = Console()
err_console = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="HOLDFAST_DATABASE_URL",
        help="Store URL (default sqlite:///holdfast.db), e.g. postgresql+psycopg://host/db.",
        show_default=False,
    ),
]

F = TypeVar("F", bound=Callable[..., Any])


def report_errors(fn: F) -> F:
    """Turn a HoldfastError into one readable message and its exit code, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except HoldfastError as error:
            err_console.out(f"error: {error}", highlight=False)
            raise typer.Exit(exit_code_for(error)) from None

    return wrapper  # type: ignore[return-value]


def command(name: str | None = None, group: typer.Typer | None = None, **kwargs: Any):
    """Register a CLI command (on ``app`` or a sub-group) with error reporting."""

    def decorate(fn: F) -> F:
        (group or app).command(name, **kwargs)(report_errors(fn))
        return fn

    return decorate
