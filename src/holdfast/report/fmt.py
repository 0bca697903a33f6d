"""Numbers, money, dates and period labels as a person reads them ("1 204", "85.6 %", "$12.50").

One set of rules for the HTML page, the chart hover text and the terminal table. Thousands
are grouped with a narrow no-break space (unambiguous in every locale), missing values show
as an en dash. JSON and CSV never go through here: machines get plain numbers.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pandas as pd

from holdfast.domain.money import DEFAULT_EXPONENT, currency_exponent
from holdfast.errors import UserError
from holdfast.report.data import is_missing

THIN = "\u202f"  # narrow no-break space: thousands separator and before "%"
MINUS = "\u2212"
DASH = "–"

#: Currencies written with a symbol in front; any other code is written after the amount.
SYMBOLS: dict[str, str] = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "CNY": "CN¥",
    "INR": "₹",
    "KRW": "₩",
    "CAD": "CA$",
    "AUD": "A$",
    "NZD": "NZ$",
    "BRL": "R$",
    "MXN": "MX$",
    "ILS": "₪",
    "VND": "₫",
    "PHP": "₱",
    "NGN": "₦",
    "UAH": "₴",
    "TRY": "₺",
}

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_MONTH_NAMES = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _grouped(value: float, digits: int) -> str:
    text = f"{abs(value):,.{digits}f}".replace(",", THIN)
    return (MINUS if value < 0 and float(text.replace(THIN, "")) != 0 else "") + text


def count(value: Any) -> str:
    """A whole number with grouped thousands: ``count(1204) == "1 204"``."""
    return DASH if is_missing(value) else _grouped(float(value), 0)


def number(value: Any, digits: int = 1) -> str:
    """A decimal number with grouped thousands and ``digits`` decimals."""
    return DASH if is_missing(value) else _grouped(float(value), digits)


def days(value: Any) -> str:
    """A number of days: whole when it is whole ("24"), else one decimal ("24.5")."""
    if is_missing(value):
        return DASH
    return _grouped(float(value), 0 if float(value).is_integer() else 1)


def percent(value: Any, digits: int = 1) -> str:
    """A share 0..1 as a percentage: ``percent(0.856) == "85.6 %"``."""
    return DASH if is_missing(value) else f"{_grouped(100 * float(value), digits)}{THIN}%"


def points(value: Any) -> str:
    """NPS percentage points with a sign: ``points(32.4) == "+32"``."""
    if is_missing(value):
        return DASH
    rounded = round(float(value))
    return f"+{rounded}" if rounded > 0 else _grouped(rounded, 0)


def money_digits(currency: str | None) -> int:
    """Decimals of the currency's minor unit (2 when unknown)."""
    if not currency:
        return DEFAULT_EXPONENT
    try:
        return currency_exponent(currency)
    except UserError:  # not an ISO code: show it as written, with two decimals
        return DEFAULT_EXPONENT


def money(value: Any, currency: str | None, whole: bool = False) -> str:
    """An amount with its currency: ``money(1234.5, "USD") == "$1 234.50"``, "12.00 DKK".

    ``whole`` drops the minor unit (for large totals on cards and axes).
    """
    if is_missing(value):
        return DASH
    digits = 0 if whole else money_digits(currency)
    amount = _grouped(float(value), digits)
    code = (currency or "").upper()
    if code in SYMBOLS:
        sign = MINUS if amount.startswith(MINUS) else ""
        return f"{sign}{SYMBOLS[code]}{amount.removeprefix(MINUS)}"
    return f"{amount}{THIN}{code}" if code else amount


def money_affixes(currency: str | None) -> tuple[str, str]:
    """(prefix, suffix) that put the currency around a bare number, for chart axes."""
    code = (currency or "").upper()
    if code in SYMBOLS:
        return SYMBOLS[code], ""
    return "", (f" {code}" if code else "")


def day(value: Any) -> str:
    """A date as "5 Jan 1997"."""
    if is_missing(value):
        return DASH
    date = pd.Timestamp(value).date() if not isinstance(value, dt.date) else value
    return f"{date.day} {_MONTHS[date.month - 1]} {date.year}"


def period_name(label: str, grain: str) -> str:
    """A period label in words: "1997-05" → "May 1997", "1997-Q1" → "Q1 1997",
    "1997-W02" → "week 2 of 1997", "1997-01-05" → "5 Jan 1997"; anything else unchanged."""
    text = str(label)
    if grain == "month" and (m := re.fullmatch(r"(\d{4})-(\d{2})", text)):
        return f"{_MONTH_NAMES[int(m[2]) - 1]} {m[1]}"
    if grain == "quarter" and (m := re.fullmatch(r"(\d{4})-Q([1-4])", text)):
        return f"Q{m[2]} {m[1]}"
    if grain == "week" and (m := re.fullmatch(r"(\d{4})-W(\d{2})", text)):
        return f"week {int(m[2])} of {m[1]}"
    if grain == "day" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return day(dt.date.fromisoformat(text))
    return text


def plural(n: Any, word: str, words: str | None = None) -> str:
    """ "1 customer", "1 204 customers" (a missing count reads as "– customers")."""
    one = not is_missing(n) and float(n) == 1
    return f"{count(n)} {word if one else (words or word + 's')}"
