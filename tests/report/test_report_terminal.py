"""The period table for `holdfast metrics` renders with formatted numbers and marks."""

from __future__ import annotations

import pytest
from rich.console import Console

from holdfast.errors import UserError
from holdfast.report import ReportData, period_table
from holdfast.report.fmt import THIN


def _text(table: object, width: int = 220) -> str:
    console = Console(record=True, width=width, color_system=None)
    console.print(table)
    return console.export_text()


def test_period_table_formats_and_marks(data: ReportData) -> None:
    text = _text(period_table(data))
    assert "Acme Tea: retention · by month" in text
    lines = {line.split()[0]: line for line in text.splitlines() if line.strip()[:4] == "1997"}
    assert set(lines) == {f"1997-0{i}" for i in range(1, 7)}
    assert "1997-06 *" in lines["1997-06"]
    assert lines["1997-01"].count("–") == 3  # CRR, exact retention, churn undefined
    may = lines["1997-05"]
    assert f"88.7{THIN}%" in may and f"1{THIN}204" in may and f"€25{THIN}600.00" in may
    assert "partial: the data ends on 17 Jun 1997" in text


def test_columns_can_be_chosen(data: ReportData) -> None:
    text = _text(period_table(data, columns=["crr", "churn_rate"]))
    assert "CRR" in text and "Churn" in text and "Revenue" not in text
    with pytest.raises(UserError, match="unknown period columns: cr; choose from"):
        period_table(data, columns=["cr"])


def test_markup_in_names_is_shown_as_text(data: ReportData) -> None:
    shady = ReportData(**{**data.__dict__, "meta": {**data.meta, "title": "[red]Evil[/red] Ltd"}})
    assert "[red]Evil[/red] Ltd" in _text(period_table(shady))


def test_a_narrow_terminal_keeps_the_retention_columns_that_fit(data: ReportData) -> None:
    from holdfast.report.terminal import fitting_period_table

    narrow = Console(width=100, color_system=None, record=True)
    table, hidden = fitting_period_table(data, narrow)
    narrow.print(table)
    lines = narrow.export_text().splitlines()
    assert max(len(line) for line in lines) <= 100
    assert hidden and "crr" not in hidden and "churn_rate" not in hidden
    assert hidden[0] == "purchase_frequency"
    text = "\n".join(lines)
    assert "CRR" in text and "Churn" in text and "…" not in text
    wide = Console(width=400, color_system=None)
    assert fitting_period_table(data, wide)[1] == []
