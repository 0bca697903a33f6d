"""Numbers for people: grouped thousands, percentages, money with its currency, period names."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from holdfast.report import fmt
from holdfast.report.fmt import MINUS, THIN


@pytest.mark.parametrize(
    ("value", "currency", "text"),
    [
        (1234.5, "USD", f"$1{THIN}234.50"),
        (-5.0, "EUR", f"{MINUS}€5.00"),
        (1234567.0, "JPY", f"¥1{THIN}234{THIN}567"),
        (12.3456, "KWD", "12.346 KWD".replace(" ", THIN)),
        (12.0, "DKK", f"12.00{THIN}DKK"),
        (12.0, None, "12.00"),
        (12.0, "points", f"12.00{THIN}POINTS"),
        (math.nan, "USD", "–"),
    ],
)
def test_money(value: float, currency: str | None, text: str) -> None:
    assert fmt.money(value, currency) == text


def test_numbers_and_rates() -> None:
    assert fmt.count(1204) == f"1{THIN}204"
    assert fmt.count(None) == "–"
    assert fmt.percent(0.856) == f"85.6{THIN}%"
    assert fmt.percent(float("nan")) == "–"
    assert fmt.points(32.4) == "+32" and fmt.points(-4.6) == f"{MINUS}5" and fmt.points(0.2) == "0"
    assert fmt.number(-0.001, 2) == "0.00"  # no "−0.00"
    assert fmt.days(24.5) == "24.5" and fmt.days(24.0) == "24"
    assert fmt.plural(1, "customer") == "1 customer"
    assert fmt.plural(1204, "customer") == f"1{THIN}204 customers"
    assert fmt.money(1234.56, "EUR", whole=True) == f"€1{THIN}235"


@pytest.mark.parametrize(
    ("label", "grain", "name"),
    [
        ("1997-05", "month", "May 1997"),
        ("1997-Q1", "quarter", "Q1 1997"),
        ("1997-W02", "week", "week 2 of 1997"),
        ("1997-01-05", "day", "5 Jan 1997"),
        ("1997", "year", "1997"),
        ("odd", "month", "odd"),
    ],
)
def test_period_names(label: str, grain: str, name: str) -> None:
    assert fmt.period_name(label, grain) == name


def test_day() -> None:
    assert fmt.day(dt.date(1997, 6, 17)) == "17 Jun 1997"
    assert fmt.day(dt.datetime(1997, 6, 17, 23, 0)) == "17 Jun 1997"
