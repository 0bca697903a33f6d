"""The period table for the terminal (``holdfast metrics``), as a rich renderable."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from holdfast.errors import UserError
from holdfast.report import fmt
from holdfast.report.data import ReportData
from holdfast.report.sections import TABLE_COLUMNS, cell


def period_table(data: ReportData, columns: list[str] | None = None) -> Table:
    """One row per period: counts grouped, rates in %, money with its currency, "–" where
    undefined; partial periods dimmed and starred. ``columns`` picks and orders the metric
    columns by name (default: all of them)."""
    known = {name: (heading, kind) for name, heading, kind in TABLE_COLUMNS}
    chosen = columns or [name for name, _, _ in TABLE_COLUMNS]
    unknown = [name for name in chosen if name not in known]
    if unknown:
        raise UserError(
            "unknown period columns: " + ", ".join(unknown) + "; choose from " + ", ".join(known)
        )
    grain, currency = data.meta["period"], data.meta.get("currency")
    partial = data.partial_periods
    caption = f"Active = ordered in the last {fmt.count(data.meta['active_window_days'])} days."
    if partial:
        caption += f" * partial: the data ends on {fmt.day(data.meta['as_of'])}, inside it."
    table = Table(
        title=Text(f"{data.meta['title']} · by {grain}", style="bold"),
        caption=Text(caption),
        box=box.SIMPLE_HEAD,
        header_style="bold",
        caption_justify="left",
    )
    table.add_column(grain.capitalize(), no_wrap=True)
    for name in chosen:
        table.add_column(known[name][0], justify="right")
    for _, row in data.periods.iterrows():
        is_partial = bool(row["partial"])
        label = Text(str(row["period"]) + (" *" if is_partial else ""))
        cells = [cell(row[name], known[name][1], currency) for name in chosen]
        table.add_row(label, *cells, style="dim italic" if is_partial else None)
    return table


#: Columns in the order they are given up when the table is wider than the terminal (the
#: first ones go first): the retention counts and rates stay longest.
DROP_ORDER = (
    "purchase_frequency",
    "average_order_value",
    "repeat_rate",
    "orders",
    "exact_retention",
    "buyers",
    "revenue",
    "lost",
    "retained",
    "new_customers",
    "reactivated",
)


def fitting_period_table(data: ReportData, console: Console) -> tuple[Table, list[str]]:
    """The period table with as many columns as fit ``console``'s width, and the names of the
    columns left out (none when everything fits)."""
    chosen = [name for name, _, _ in TABLE_COLUMNS]
    hidden: list[str] = []
    table = period_table(data, chosen)
    for name in DROP_ORDER:
        wide = console.options.update(max_width=10_000)
        if Measurement.get(console, wide, table).maximum <= console.width:
            break
        chosen.remove(name)
        hidden.append(name)
        table = period_table(data, chosen)
    return table, hidden
