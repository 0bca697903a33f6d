"""Options shared by the commands that read export files (import, report, metrics, fit)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from holdfast.services.ingest import ImportRequest
    from holdfast.services.readers.source import ReadSettings

MAPPING = "Column mapping (default: recognised by name)"
READING = "Reading the file"


def mapping_flag(flag: str, what: str) -> Any:
    """A ``--FLAG COLUMN`` option naming the file's column for a canonical one."""
    return typer.Option(
        f"--{flag}", metavar="COLUMN", help=what, rich_help_panel=MAPPING, show_default=False
    )


Delimiter = Annotated[
    str | None,
    typer.Option(help="Field delimiter, e.g. ';' or tab.", rich_help_panel=READING),
]
Encoding = Annotated[
    str, typer.Option(help="Text encoding, e.g. latin-1.", rich_help_panel=READING)
]
DecimalComma = Annotated[
    bool,
    typer.Option("--decimal-comma", help="Amounts like 1.234,56.", rich_help_panel=READING),
]
DateFormat = Annotated[
    str | None,
    typer.Option(
        help="strptime format of dates, e.g. %d.%m.%Y (default: detected).",
        rich_help_panel=READING,
        show_default=False,
    ),
]
NoHeader = Annotated[
    bool, typer.Option("--no-header", help="The first line is data.", rich_help_panel=READING)
]
ColumnNames = Annotated[
    str | None,
    typer.Option(
        metavar="A,B,C",
        help="Names of the file's columns, for a file without a header line.",
        rich_help_panel=READING,
        show_default=False,
    ),
]
CustomerColumn = Annotated[str | None, mapping_flag("customer", "Customer id.")]
OrderColumn = Annotated[str | None, mapping_flag("order", "Order id (orders, order lines).")]
DateColumn = Annotated[
    str | None, mapping_flag("date", "Main time: ordered, signed up, started or responded at.")
]
AmountColumn = Annotated[
    str | None, mapping_flag("amount", "Amount (orders: gross; subscriptions: monthly).")
]
StatusColumn = Annotated[str | None, mapping_flag("status", "Order status.")]
RefundedColumn = Annotated[str | None, mapping_flag("refunded", "Refunded amount of an order.")]
CancelPrefix = Annotated[
    str | None,
    typer.Option(
        metavar="PREFIX",
        help="Order ids starting with PREFIX are cancellation invoices (e.g. C).",
        show_default=False,
    ),
]


def column_names(columns: str | None) -> tuple[str, ...] | None:
    """``A,B,C`` as a tuple of names (None when not given)."""
    return tuple(c.strip() for c in columns.split(",")) if columns else None


def order_flags(
    customer: str | None,
    order: str | None,
    date: str | None,
    amount: str | None,
    status: str | None,
    refunded: str | None,
) -> dict[str, str | None]:
    """The order-column mapping flags by canonical flag name."""
    return {
        "customer": customer,
        "order": order,
        "date": date,
        "amount": amount,
        "status": status,
        "refunded": refunded,
    }


def orders_request(
    path: Path,
    *,
    read: ReadSettings,
    flags: dict[str, str | None],
    timezone: str | None,
    date_format: str | None,
    decimal_comma: bool,
    currency: str | None,
    cancel_prefix: str | None,
) -> ImportRequest:
    """How to read an orders export for analysis (the import's reading rules)."""
    from holdfast.services.ingest import ImportRequest

    return ImportRequest(
        kind="orders",
        path=path,
        read=read,
        columns={k: v for k, v in flags.items() if v},
        timezone=timezone,
        date_format=date_format,
        decimal_comma=decimal_comma,
        currency=currency,
        cancel_prefix=cancel_prefix,
    )
