"""``holdfast report`` and ``holdfast metrics``: retention analytics on a file or the store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.measure import Measurement

from holdfast.cli.app import DbOption, command, console, err_console
from holdfast.cli.reading import (
    READING,
    AmountColumn,
    CancelPrefix,
    ColumnNames,
    CustomerColumn,
    DateColumn,
    DateFormat,
    DecimalComma,
    Delimiter,
    Encoding,
    NoHeader,
    OrderColumn,
    RefundedColumn,
    StatusColumn,
    column_names,
    order_flags,
    orders_request,
)
from holdfast.errors import UserError

if TYPE_CHECKING:
    from holdfast.services.ingest import ImportRequest
    from holdfast.services.reports import ReportData
    from holdfast.services.sources import DataSource

MEASURE = "What to measure"

REPORT_HELP = (
    "Analyse an order export, or the store, and write a retention report.\n\n"
    "With FILE (CSV, TSV, whitespace text, Parquet or JSON Lines) the export is analysed "
    "directly, nothing is imported; columns are recognised by name or mapped with the flags "
    "below, as for `holdfast import`. Without FILE the store is analysed (--db or "
    "HOLDFAST_DATABASE_URL).\n\n"
    "--format html (default) writes one self-contained page with charts that works offline; "
    "json prints a stable document for machines (or writes it to -o); csv writes one file per "
    "table into the folder -o.\n\n"
    "Examples: holdfast report orders.csv; holdfast report CDNOW_master.txt --period quarter; "
    "holdfast report --db postgresql://host/shop --format json -o report.json"
)


@contextmanager
def _status(text: str, quiet: bool) -> Iterator[callable]:
    """A spinner on stderr that names each step (silent when not a terminal or --quiet)."""
    if quiet or not err_console.is_terminal:
        yield lambda _step: None
        return
    with err_console.status(text) as status:
        yield lambda step: status.update(f"{text}: {step}")


def _parse_as_of(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UserError(f"--as-of must be a date like 1997-09-30, got {value!r}") from None


def _open(
    file: Path | None,
    db: str | None,
    surveys: Path | None,
    request: ImportRequest | None,
    timezone: str,
    currency: str,
) -> DataSource:
    from holdfast.config import load_settings
    from holdfast.services.ingest import ImportRequest
    from holdfast.services.sources import open_file, open_store

    if file is not None:
        if db is not None:
            raise UserError("give either FILE or --db, not both")
        assert request is not None
        survey_request = ImportRequest(kind="surveys", path=surveys) if surveys else None
        return open_file(request, survey_request, timezone=timezone, default_currency=currency)
    if surveys is not None:
        raise UserError("--surveys goes with FILE; the store has its own survey answers")
    return open_store(load_settings(database_url=db).database_url)


Period = Annotated[
    str,
    typer.Option("--period", help="day, week, month, quarter or year.", rich_help_panel=MEASURE),
]
ActiveWindow = Annotated[
    int | None,
    typer.Option(
        "--active-window",
        metavar="DAYS",
        help="A customer is active while their last order is under DAYS days old "
        "(default HOLDFAST_ACTIVE_WINDOW_DAYS or 365).",
        rich_help_panel=MEASURE,
        show_default=False,
    ),
]
AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="DATE",
        help="Last day to count (default: the last order's day).",
        rich_help_panel=MEASURE,
        show_default=False,
    ),
]
Timezone = Annotated[
    str | None,
    typer.Option(
        help="Business time zone for period boundaries and times without a zone, e.g. "
        "Europe/Berlin (default HOLDFAST_TIMEZONE or UTC).",
        rich_help_panel=MEASURE,
        show_default=False,
    ),
]
Surveys = Annotated[
    Path | None,
    typer.Option(
        metavar="FILE",
        help="Survey answers (response_id, responded_at, score …) for the NPS section.",
        show_default=False,
    ),
]
InputFormat = Annotated[
    str | None,
    typer.Option(
        "--input-format",
        help="csv, tsv, whitespace, parquet or jsonl (default: from the extension, sniffed).",
        rich_help_panel=READING,
        show_default=False,
    ),
]
Currency = Annotated[
    str | None,
    typer.Option(
        help="ISO 4217 currency of the file's amounts (default HOLDFAST_CURRENCY or USD).",
        show_default=False,
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress or notes.")]


def _compute(
    file: Path | None,
    db: str | None,
    surveys: Path | None,
    reading: dict,
    period: str,
    active_window: int | None,
    as_of: str | None,
    timezone: str | None,
    quiet: bool,
    forecast: bool = True,
) -> ReportData:
    from holdfast.config import load_settings
    from holdfast.services.reports import ReportOptions, build_report

    settings = load_settings(timezone=timezone, active_window_days=active_window)
    request = None
    if file is not None:
        request = orders_request(file, timezone=settings.timezone, **reading)
    options = ReportOptions(
        period=period,
        active_window_days=settings.active_window_days,
        as_of=_parse_as_of(as_of),
        timezone=settings.timezone,
    ).checked()
    source = _open(file, db, surveys, request, settings.timezone, settings.currency)
    store_url = None if file is not None else load_settings(database_url=db).database_url
    try:
        with _status("Measuring retention", quiet) as step:
            return build_report(source, options, step, forecast=forecast, store_url=store_url)
    finally:
        source.close()


def _reading(
    input_format: str | None,
    delimiter: str | None,
    encoding: str,
    no_header: bool,
    columns: str | None,
    flags: dict[str, str | None],
    date_format: str | None,
    decimal_comma: bool,
    currency: str | None,
    cancel_prefix: str | None,
) -> dict:
    from holdfast.services.readers.source import ReadSettings

    return {
        "read": ReadSettings(
            input_format, delimiter, encoding, not no_header, column_names(columns)
        ),
        "flags": flags,
        "date_format": date_format,
        "decimal_comma": decimal_comma,
        "currency": currency,
        "cancel_prefix": cancel_prefix,
    }


@command("report", help=REPORT_HELP)
def report_cmd(
    file: Annotated[
        Path | None,
        typer.Argument(help="An order export; omit it to analyse the store.", show_default=False),
    ] = None,
    db: DbOption = None,
    surveys: Surveys = None,
    period: Period = "month",
    active_window: ActiveWindow = None,
    as_of: AsOf = None,
    timezone: Timezone = None,
    fmt: Annotated[str, typer.Option("--format", help="html, json or csv.")] = "html",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="PATH",
            help="html: the file (default holdfast-report.html); json: the file (default: "
            "print); csv: the folder (default holdfast-report/).",
            show_default=False,
        ),
    ] = None,
    input_format: InputFormat = None,
    delimiter: Delimiter = None,
    encoding: Encoding = "utf-8",
    decimal_comma: DecimalComma = False,
    date_format: DateFormat = None,
    no_header: NoHeader = False,
    columns: ColumnNames = None,
    customer: CustomerColumn = None,
    order: OrderColumn = None,
    date: DateColumn = None,
    amount: AmountColumn = None,
    status: StatusColumn = None,
    refunded: RefundedColumn = None,
    cancel_prefix: CancelPrefix = None,
    currency: Currency = None,
    quiet: Quiet = False,
    no_forecast: Annotated[
        bool,
        typer.Option(
            "--no-forecast",
            help="Leave out the model forecast (\"What comes next\"): faster on large data.",
        ),
    ] = False,
) -> None:
    """Write the retention report (help text: REPORT_HELP above)."""
    from holdfast.services.reports import FORMATS, report_json, write_report

    if fmt not in FORMATS:
        raise UserError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    flags = order_flags(customer, order, date, amount, status, refunded)
    reading = _reading(
        input_format,
        delimiter,
        encoding,
        no_header,
        columns,
        flags,
        date_format,
        decimal_comma,
        currency,
        cancel_prefix,
    )
    data = _compute(
        file, db, surveys, reading, period, active_window, as_of, timezone, quiet, not no_forecast
    )
    written = write_report(data, fmt, output)
    if written is None:
        console.out(report_json(data), highlight=False)
    elif not quiet:
        console.print(f"Report written to {written}", highlight=False, markup=False)


@command("metrics")
def metrics_cmd(
    file: Annotated[
        Path | None,
        typer.Argument(help="An order export; omit it to analyse the store.", show_default=False),
    ] = None,
    db: DbOption = None,
    period: Period = "month",
    active_window: ActiveWindow = None,
    as_of: AsOf = None,
    timezone: Timezone = None,
    show: Annotated[
        str | None,
        typer.Option(
            "--columns",
            metavar="A,B",
            help="Metric columns to show, e.g. crr,churn_rate,revenue (default: all).",
            show_default=False,
        ),
    ] = None,
    input_format: InputFormat = None,
    delimiter: Delimiter = None,
    encoding: Encoding = "utf-8",
    decimal_comma: DecimalComma = False,
    date_format: DateFormat = None,
    no_header: NoHeader = False,
    customer: CustomerColumn = None,
    order: OrderColumn = None,
    date: DateColumn = None,
    amount: AmountColumn = None,
    status: StatusColumn = None,
    refunded: RefundedColumn = None,
    cancel_prefix: CancelPrefix = None,
    currency: Currency = None,
    quiet: Quiet = False,
) -> None:
    """Print retention, churn and order metrics per period as a table in the terminal."""
    from holdfast.services.reports import terminal_table, terminal_table_fitting

    flags = order_flags(customer, order, date, amount, status, refunded)
    reading = _reading(
        input_format,
        delimiter,
        encoding,
        no_header,
        None,
        flags,
        date_format,
        decimal_comma,
        currency,
        cancel_prefix,
    )
    data = _compute(file, db, None, reading, period, active_window, as_of, timezone, quiet, False)
    chosen = [c.strip() for c in show.split(",")] if show else None
    table = terminal_table(data, chosen)
    # A pipe or a file gets every column at full width; a terminal keeps its own width and
    # the columns that fit it (unless --columns chose them).
    if console.is_terminal:
        hidden: list[str] = []
        if chosen is None:
            table, hidden = terminal_table_fitting(data, console)
        console.print(table)
        if hidden:
            console.print(
                f"[dim]{len(hidden)} more columns ({', '.join(hidden)}): widen the terminal, "
                "pick them with --columns, or pipe the output to a file.[/dim]"
            )
    else:
        wide = console.options.update(max_width=10_000)
        Console(width=Measurement.get(console, wide, table).maximum).print(table)
