"""``holdfast score``: score every customer of the store as of a date and keep the scores."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from holdfast.cli.app import DbOption, command, console, err_console
from holdfast.errors import UserError

if TYPE_CHECKING:
    from holdfast.services.scoring import ScoreResult

SCORE_HELP = (
    "Score every customer of the store as of a date: RFM scores and segment, lifecycle stage, "
    "P(alive), expected purchases and predicted value over the horizon, expected next order, "
    "VIP flag and up to three next products. The scores are kept in the store, one run per "
    "date: scoring a date again changes nothing, a new date adds a run.\n\n"
    "Examples: holdfast score; holdfast score --as-of 1997-09-30; holdfast score --window 90"
)


def parse_date(value: str | None, flag: str) -> dt.date | None:
    """A YYYY-MM-DD option value, or a UserError naming the flag."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{flag} must be a date like 1997-09-30, got {value!r}") from None


def _summary_lines(result: ScoreResult, currency: str | None) -> list[str]:
    s, money = result.summary, f" {currency}" if currency else ""
    verb = "Scored" if result.created else "Already scored (nothing changed):"
    lines = [f"{verb} {result.customers:,} customers as of {result.as_of} (run {result.run_id})"]
    if result.note:
        lines.append(f"Note: {result.note}.")
    if s.get("predicted_value") is not None:
        lines.append(
            f"Predicted value {s['predicted_value']:,.2f}{money}; revenue at risk "
            f"{s['revenue_at_risk']:,.2f}{money} from {s['at_risk_customers']:,} customers at risk"
        )
    if s.get("top20_revenue_share") is not None:
        lines.append(
            f"The top 20 % of customers brought {s['top20_revenue_share']:.1%} of revenue "
            f"(80/20 check); {s.get('vips', 0):,} VIPs; {s.get('basket_rules', 0):,} basket rules"
        )
    return lines


@command("score", help=SCORE_HELP)
def score_cmd(
    db: DbOption = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="DATE",
            help="Score as of DATE (default: the last order's day).",
            show_default=False,
        ),
    ] = None,
    model: Annotated[str, typer.Option(help="bgnbd, mbgnbd or paretonbd.")] = "bgnbd",
    bins: Annotated[int, typer.Option(help="RFM score levels (2-10).")] = 5,
    horizon: Annotated[float, typer.Option(help="Forecast horizon in weeks.")] = 52.0,
    vip_share: Annotated[float, typer.Option(help="Top share of customers who are VIPs.")] = 0.1,
    window: Annotated[
        int | None,
        typer.Option(
            help="Use one global window of DAYS for the stages instead of each customer's "
            "own rhythm.",
            metavar="DAYS",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Score the store (help: SCORE_HELP above)."""
    from holdfast.config import load_settings
    from holdfast.services.scoring import STEPS, ScoreOptions, score

    settings = load_settings(database_url=db)
    options = ScoreOptions(
        bins=bins,
        model=model,
        horizon_weeks=horizon,
        vip_share=vip_share,
        window_days=window,
        timezone=settings.timezone,
    ).checked()
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
    task = progress.add_task("scoring", total=len(STEPS))
    done = {"n": 0}

    def step(name: str) -> None:
        progress.update(task, description=name, completed=done["n"])
        done["n"] += 1

    with progress:
        result = score(settings.database_url, parse_date(as_of, "--as-of"), options, on_step=step)
        progress.update(task, completed=len(STEPS))
    for line in _summary_lines(result, result.currency):
        console.print(line, highlight=False, markup=False, soft_wrap=True)
