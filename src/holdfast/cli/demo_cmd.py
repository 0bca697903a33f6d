"""``holdfast demo``: see the whole main job on a synthetic shop, no data or server needed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from holdfast.cli.app import command, console, err_console


@command("demo")
def demo_cmd(
    folder: Annotated[
        Path, typer.Option("--output", "-o", metavar="DIR", help="Where to put everything.")
    ] = Path("holdfast-demo"),
    customers: Annotated[int, typer.Option(help="Customers in the synthetic shop.")] = 5_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same shop.")] = 42,
    force: Annotated[bool, typer.Option("--force", help="Replace an earlier demo.")] = False,
) -> None:
    """Simulate a shop, import it into a SQLite store and write its retention report."""
    from holdfast.services.demo import run_demo

    if err_console.is_terminal:
        with err_console.status("holdfast demo") as status:
            result = run_demo(
                folder,
                customers=customers,
                seed=seed,
                force=force,
                step=lambda text: status.update(f"holdfast demo: {text}"),
            )
    else:
        result = run_demo(folder, customers=customers, seed=seed, force=force)
    for summary in result.imports:
        console.print(summary.line(), highlight=False, markup=False)
    console.print(
        f"\nReport: {result.report}  (open it in a browser)\n"
        f"Store:  {result.store_url}\n\n"
        "Next:\n"
        f"  holdfast metrics --db {result.store_url}\n"
        f"  holdfast segments --db {result.store_url}\n"
        f"  holdfast report --db {result.store_url} --period quarter -o quarterly.html\n"
        "  holdfast report your-orders.csv",
        highlight=False,
        markup=False,
    )
