"""``holdfast segments`` (sizes, value and change since the previous run; stage transitions)
and ``holdfast segment export NAME -o FILE.csv`` (a list for any email tool)."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from holdfast.cli.app import DbOption, app, command, console
from holdfast.cli.score_cmd import parse_date
from holdfast.errors import UserError

if TYPE_CHECKING:
    from holdfast.services.segments.queries import SegmentReport

FORMATS = ("table", "json")
AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="DATE",
        help="The run scored as of DATE (default: the latest).",
        show_default=False,
    ),
]


def _change(value: int | None) -> str:
    return "–" if value is None else f"{value:+,}"


def _table(report: SegmentReport) -> Table:
    money = f" ({report.currency})" if report.currency else ""
    since = f"; change since {report.previous.as_of}" if report.previous else ""
    table = Table(
        title=f"Segments as of {report.run.as_of} ({report.value_kind} value{since})",
        title_justify="left",
    )
    table.add_column("segment", no_wrap=True)
    for name in ("customers", "share", f"value{money}", "VIPs", "change"):
        table.add_column(name, justify="right")
    for row in report.rows:
        table.add_row(
            row.name,
            f"{row.customers:,}",
            f"{row.share:.1%}",
            f"{row.value:,.2f}",
            f"{row.vips:,}",
            _change(row.change),
        )
    return table


def _document(report: SegmentReport) -> list[dict[str, object]]:
    return [
        {
            "name": r.name,
            "customers": r.customers,
            "share": r.share,
            "value": round(r.value, 2),
            "value_kind": report.value_kind,
            "vips": r.vips,
            "change": r.change,
            "as_of": report.run.as_of.isoformat(),
        }
        for r in report.rows
    ]


@command("segments")
def segments_cmd(
    db: DbOption = None,
    as_of: AsOf = None,
    output_format: Annotated[
        str, typer.Option("--format", help="table or json (a list of segments).")
    ] = "table",
    transitions: Annotated[
        bool, typer.Option("--transitions", help="Also show how stages moved since the run before.")
    ] = False,
) -> None:
    """Segment sizes, value and change since the previous scoring run."""
    from holdfast.config import load_settings
    from holdfast.services.segments.queries import (
        segment_report,
        stage_transitions,
        transition_matrix,
    )

    if output_format not in FORMATS:
        raise UserError(f"--format must be table or json, got {output_format!r}")
    url = load_settings(database_url=db).database_url
    report = segment_report(url, parse_date(as_of, "--as-of"))
    if output_format == "json":
        typer.echo(json.dumps(_document(report), indent=2))
        return
    console.print(_table(report))
    if report.run.note:
        console.print(f"Note: {report.run.note}.", highlight=False, markup=False, soft_wrap=True)
    if transitions and report.previous is not None:
        earlier, later, counts = stage_transitions(url, report.previous.as_of, report.run.as_of)
        rows = transition_matrix(counts)
        table = Table(title=f"Stages: {earlier.as_of} (rows) → {later.as_of} (columns)")
        table.add_column("from")
        stages = [k for k in rows[0] if k != "from"] if rows else []
        for stage in stages:
            table.add_column(stage, justify="right")
        for row in rows:
            table.add_row(str(row["from"]), *(f"{row[s]:,}" for s in stages))
        console.print(table)


segment_app = typer.Typer(help="One segment's customers.", no_args_is_help=True)
app.add_typer(segment_app, name="segment")


def _cell(value: object) -> object:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else value


@command("export", group=segment_app)
def export_cmd(
    name: Annotated[str, typer.Argument(help='Segment name, e.g. "At risk" or champions.')],
    output: Annotated[Path, typer.Option("--output", "-o", metavar="FILE.csv", help="Where.")],
    db: DbOption = None,
    as_of: AsOf = None,
) -> None:
    """Write a segment's customers to a CSV file (customer id, email, name, scores)."""
    from holdfast.config import load_settings
    from holdfast.services.segments.queries import EXPORT_COLUMNS, segment_members

    if output.suffix.lower() != ".csv":
        raise UserError(f"-o {output}: the export is written as .csv")
    url = load_settings(database_url=db).database_url
    run, members = segment_members(url, name, parse_date(as_of, "--as-of"))
    partial = output.with_name(f".{output.name}.part")
    try:
        with partial.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(EXPORT_COLUMNS)
            for member in members:
                writer.writerow([_cell(member[c]) for c in EXPORT_COLUMNS])
        os.replace(partial, output)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise UserError(f"cannot write {output}: {error.strerror or error}") from None
    segment = members[0]["segment"] if members else name
    console.print(
        f"{len(members):,} customers of {segment} (as of {run.as_of}) written to {output}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
