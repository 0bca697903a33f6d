"""``holdfast simulate``: write a synthetic shop with known truth to a folder."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from holdfast.cli.app import command, console
from holdfast.errors import UserError

MODEL = "Model parameters"
HELP = (
    "Write a synthetic shop with known truth, for demos and for checking models.\n\n"
    "Writes customers, orders, order_lines, subscriptions and survey_responses (Parquet or "
    "CSV, with the canonical columns of docs/data-model.md) to OUT, plus truth.json (every "
    "generating parameter, the seed, the period and the counts) and truth_customers.parquet "
    "(each customer's purchase rate λ per week, dropout probability p, dropout time, spend "
    "ν and subscription churn θ).\n\n"
    "Purchases follow BG/NBD, spend per order gamma-gamma, subscriptions the "
    "shifted-beta-geometric model, with weekly, yearly and daily seasonality unless "
    "--no-seasonality. Give --customers or --orders (about that many orders); the same "
    "--seed gives the same files. See docs/simulate.md."
)


def _date(value: str, flag: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{flag} {value!r} is not a date like 2024-01-31") from None


def _numbers(value: str, flag: str, names: tuple[str, ...]) -> list[float]:
    parts = [p.strip() for p in value.split(",")]
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        numbers = []
    if len(numbers) != len(names):
        raise UserError(f"{flag} needs {len(names)} numbers {','.join(names)}, got {value!r}")
    return numbers


@command("simulate", help=HELP)
def simulate_cmd(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder to write the shop into.", show_default=False)
    ],
    customers: Annotated[
        int | None, typer.Option(help="Number of customers (default 10,000).", show_default=False)
    ] = None,
    orders: Annotated[
        int | None,
        typer.Option(help="Target number of orders; picks the customer count.", show_default=False),
    ] = None,
    start: Annotated[str, typer.Option(help="First day, YYYY-MM-DD.")] = "2023-01-01",
    end: Annotated[str, typer.Option(help="Last day (inclusive), YYYY-MM-DD.")] = "2025-12-31",
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same shop.")] = 42,
    fmt: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
    no_seasonality: Annotated[
        bool,
        typer.Option(
            "--no-seasonality",
            help="No weekly, yearly or daily pattern: purchases are exactly BG/NBD.",
        ),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Write into a folder that is not empty.")
    ] = False,
    bgnbd: Annotated[
        str | None,
        typer.Option(
            metavar="R,ALPHA,A,B",
            help="BG/NBD: λ ~ Gamma(r, α) per week, p ~ Beta(a, b). Default 0.5,8,0.8,3.",
            rich_help_panel=MODEL,
            show_default=False,
        ),
    ] = None,
    gamma_gamma: Annotated[
        str | None,
        typer.Option(
            metavar="P,Q,GAMMA",
            help="Gamma-gamma spend: z ~ Gamma(p, ν), ν ~ Gamma(q, γ). Default 6,4,30.",
            rich_help_panel=MODEL,
            show_default=False,
        ),
    ] = None,
    sbg: Annotated[
        str | None,
        typer.Option(
            metavar="ALPHA,BETA",
            help="Subscription churn θ ~ Beta(α, β) per month. Default 0.668,3.806.",
            rich_help_panel=MODEL,
            show_default=False,
        ),
    ] = None,
    subscribers: Annotated[
        float, typer.Option(help="Share of buyers with a subscription.", rich_help_panel=MODEL)
    ] = 0.10,
    growth: Annotated[
        float,
        typer.Option(help="Growth of acquisitions, log per year.", rich_help_panel=MODEL),
    ] = 0.3,
    currency: Annotated[str, typer.Option(help="ISO 4217 currency of the amounts.")] = "USD",
    chunk: Annotated[
        int, typer.Option(help="Customers per write batch (memory vs speed; same data).")
    ] = 50_000,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Write a synthetic shop with known truth (help text: HELP above)."""
    # imported here so that other commands do not pay for numpy and scipy at start-up
    from holdfast.simulate import (
        BGNBD,
        GammaGamma,
        ShiftedBetaGeometric,
        SimulationConfig,
        simulate_to,
    )

    extra: dict[str, object] = {}
    if bgnbd is not None:
        extra["bgnbd"] = BGNBD(*_numbers(bgnbd, "--bgnbd", ("r", "alpha", "a", "b")))
    if gamma_gamma is not None:
        extra["gamma_gamma"] = GammaGamma(
            *_numbers(gamma_gamma, "--gamma-gamma", ("p", "q", "gamma"))
        )
    if sbg is not None:
        extra["sbg"] = ShiftedBetaGeometric(*_numbers(sbg, "--sbg", ("alpha", "beta")))
    config = SimulationConfig(
        customers=customers,
        orders=orders,
        start=_date(start, "--start"),
        end=_date(end, "--end"),
        seed=seed,
        seasonality=not no_seasonality,
        subscriber_share=subscribers,
        growth=growth,
        currency=currency.upper(),
        **extra,  # type: ignore[arg-type]
    )
    began = time.perf_counter()
    written = simulate_to(
        config, out, fmt.lower(), progress=not quiet, force=force, chunk_customers=chunk
    )
    _summary(written.truth, written.files, out, time.perf_counter() - began)


def _summary(truth: dict, files: list[Path], out: Path, seconds: float) -> None:
    n = truth["counts"]
    period = truth["period"]
    console.print(
        f"Simulated shop in {out} (seed {truth['seed']}, {period['start'][:10]} to "
        f"{period['end'][:10]} exclusive, seasonality "
        f"{'on' if truth['seasonality']['enabled'] else 'off'}) in {seconds:.1f} s",
        highlight=False,
        soft_wrap=True,
    )
    rows = [
        ("customers", f"{n['customers']:,}", f"{n['buyers']:,} buyers"),
        (
            "orders",
            f"{n['orders']:,}",
            f"{n['orders_completed']:,} completed, {n['orders_cancelled']:,} cancelled, "
            f"{n['orders_refunded']:,} refunded, {n['partially_refunded']:,} partly refunded",
        ),
        ("order lines", f"{n['order_lines']:,}", ""),
        (
            "subscriptions",
            f"{n['subscriptions']:,}",
            f"{n['subscriptions_running_at_end']:,} running at the end",
        ),
        ("survey responses", f"{n['survey_responses']:,}", ""),
        ("net revenue", f"{float(n['net_revenue']):,.2f}", truth["orders"]["currency"]),
    ]
    for label, value, note in rows:
        line = f"  {label:<17} {value:>16}  {note}".rstrip()
        console.print(line, highlight=False, soft_wrap=True)
    console.print("files: " + ", ".join(f.name for f in files), highlight=False, soft_wrap=True)
