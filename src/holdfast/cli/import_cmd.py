"""``holdfast import KIND FILE``: load an export into the store (docs/import.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from holdfast.cli.app import DbOption, command, console
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
    mapping_flag,
)
from holdfast.errors import UserError

PROGRESS_FROM = 200_000  # rows: smaller files load before a bar would be seen

HELP = (
    "Load customers, orders, order lines, subscriptions or survey answers into the store.\n\n"
    "KIND is customers, orders, order-lines, subscriptions or surveys. FILE is CSV, TSV, "
    "whitespace-separated text, Parquet or JSON Lines (from the extension, else sniffed). "
    "Columns are recognised by name (InvoiceNo → order_id, CustomerID → customer_id, "
    "InvoiceDate → ordered_at, dollar_value → amount …); map others with the flags below. "
    "Every row is checked first: on any problem nothing is written and each problem is "
    "listed with its row, column, value and reason, unless --rejects FILE is given. "
    "Importing the same file again changes nothing; changed rows update their record.\n\n"
    "Example (CDNOW): holdfast import orders CDNOW_master.txt"
)


class _Bar:
    """Notes to the console and a progress bar for large files (rich, stdout)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.progress: Progress | None = None

    def note(self, text: str) -> None:
        if not self.quiet:
            console.print(text, highlight=False, soft_wrap=True, markup=False)

    def start(self, phase: str, total: int) -> None:
        if self.quiet or total < PROGRESS_FROM or not console.is_terminal:
            return
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.progress.start()
        self.task = self.progress.add_task(phase, total=total)

    def advance(self, done: int) -> None:
        if self.progress is not None:
            self.progress.advance(self.task, done)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


@command("import", help=HELP)
def import_cmd(
    kind: Annotated[
        str,
        typer.Argument(help="customers, orders, order-lines, subscriptions or surveys."),
    ],
    file: Annotated[Path, typer.Argument(help="The export to load.", show_default=False)],
    db: DbOption = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="csv, tsv, whitespace, parquet or jsonl (default: from the extension, sniffed).",
            rich_help_panel=READING,
            show_default=False,
        ),
    ] = None,
    delimiter: Delimiter = None,
    encoding: Encoding = "utf-8",
    decimal_comma: DecimalComma = False,
    date_format: DateFormat = None,
    timezone: Annotated[
        str | None,
        typer.Option(
            help="Zone of times without one, e.g. Europe/Berlin (default: HOLDFAST_TIMEZONE "
            "or UTC). Stored as UTC.",
            rich_help_panel=READING,
            show_default=False,
        ),
    ] = None,
    no_header: NoHeader = False,
    columns: ColumnNames = None,
    customer: CustomerColumn = None,
    order: OrderColumn = None,
    date: DateColumn = None,
    amount: AmountColumn = None,
    status: StatusColumn = None,
    refunded: RefundedColumn = None,
    currency_column: Annotated[
        str | None, mapping_flag("currency-column", "ISO 4217 currency per order.")
    ] = None,
    email: Annotated[str | None, mapping_flag("email", "Customer e-mail.")] = None,
    name: Annotated[str | None, mapping_flag("name", "Customer name.")] = None,
    phone: Annotated[str | None, mapping_flag("phone", "Customer phone.")] = None,
    country: Annotated[str | None, mapping_flag("country", "Customer country (ISO 3166).")] = None,
    birthday: Annotated[str | None, mapping_flag("birthday", "Customer birthday.")] = None,
    line: Annotated[str | None, mapping_flag("line", "Line number within an order.")] = None,
    product: Annotated[str | None, mapping_flag("product", "Product id.")] = None,
    product_name: Annotated[str | None, mapping_flag("product-name", "Product name.")] = None,
    category: Annotated[str | None, mapping_flag("category", "Product category.")] = None,
    quantity: Annotated[str | None, mapping_flag("quantity", "Quantity of a line.")] = None,
    unit_price: Annotated[str | None, mapping_flag("unit-price", "Unit price of a line.")] = None,
    subscription: Annotated[str | None, mapping_flag("subscription", "Subscription id.")] = None,
    plan: Annotated[str | None, mapping_flag("plan", "Subscription plan.")] = None,
    ended: Annotated[str | None, mapping_flag("ended", "Subscription end time.")] = None,
    response: Annotated[str | None, mapping_flag("response", "Survey response id.")] = None,
    survey: Annotated[str | None, mapping_flag("survey", "Survey name (default nps).")] = None,
    score: Annotated[str | None, mapping_flag("score", "Survey score 0–10.")] = None,
    comment: Annotated[str | None, mapping_flag("comment", "Survey comment.")] = None,
    cancel_prefix: CancelPrefix = None,
    currency: Annotated[
        str | None,
        typer.Option(
            help="ISO 4217 currency of the amounts (default: the store's, else "
            "HOLDFAST_CURRENCY or USD).",
            show_default=False,
        ),
    ] = None,
    rejects: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Load the good rows; write the bad ones with reasons to FILE (CSV).",
            show_default=False,
        ),
    ] = None,
    max_errors: Annotated[int, typer.Option(help="Problems to list before '… and N more'.")] = 50,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and count, then write nothing.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the summary line.")] = False,
) -> None:
    """Load an export into the store (help text: HELP above)."""
    from holdfast.config import load_settings
    from holdfast.services.ingest import ImportRequest, import_file
    from holdfast.services.readers.source import ReadSettings

    if max_errors < 1:
        raise UserError("--max-errors must be at least 1")
    flags = {
        "customer": customer,
        "order": order,
        "date": date,
        "amount": amount,
        "status": status,
        "refunded": refunded,
        "currency-column": currency_column,
        "email": email,
        "name": name,
        "phone": phone,
        "country": country,
        "birthday": birthday,
        "line": line,
        "product": product,
        "product-name": product_name,
        "category": category,
        "quantity": quantity,
        "unit-price": unit_price,
        "subscription": subscription,
        "plan": plan,
        "ended": ended,
        "response": response,
        "survey": survey,
        "score": score,
        "comment": comment,
    }
    names = column_names(columns)
    settings = load_settings(database_url=db)
    request = ImportRequest(
        kind=kind,
        path=file,
        read=ReadSettings(fmt, delimiter, encoding, not no_header, names),
        columns={k: v for k, v in flags.items() if v is not None},
        timezone=timezone,
        date_format=date_format,
        decimal_comma=decimal_comma,
        currency=currency,
        cancel_prefix=cancel_prefix,
        rejects=rejects,
        max_errors=max_errors,
        dry_run=dry_run,
    )
    bar = _Bar(quiet)
    try:
        summary = import_file(
            request,
            settings.database_url,
            bar,
            timezone=settings.timezone,
            default_currency=settings.currency,
        )
    finally:
        bar.close()
    console.print(summary.line(), highlight=False, soft_wrap=True, markup=False)
    if summary.points is not None:
        points = f"loyalty points: {summary.points.line()}"
        console.print(points, highlight=False, soft_wrap=True, markup=False)
    if summary.rejects_file is not None:
        console.print(
            f"{summary.rejected:,} rejected rows written to {summary.rejects_file}",
            highlight=False,
            soft_wrap=True,
            markup=False,
        )
