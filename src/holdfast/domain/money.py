"""Money as integer minor units: Decimal ↔ minor units by the ISO 4217 exponent of a currency.

The store keeps every amount as an integer count of the currency's minor unit (cents for USD,
yen for JPY, fils for BHD), so sums are exact. Conversions never go through floats: an amount
with more decimals than its currency has is refused rather than rounded.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from holdfast.errors import UserError

#: ISO 4217 currencies whose minor unit is not 1/100 (the default exponent is 2).
NON_DEFAULT_EXPONENTS: dict[str, int] = {
    # no minor unit
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "ISK": 0,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "PYG": 0,
    "RWF": 0,
    "UGX": 0,
    "UYI": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
    # thousandths
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
    # ten-thousandths (units of account)
    "CLF": 4,
    "UYW": 4,
}
DEFAULT_EXPONENT = 2
_CODE = re.compile(r"^[A-Z]{3}$")


def normalize_currency(code: str) -> str:
    """An ISO 4217 code in upper case; a UserError for anything that is not three letters."""
    clean = code.strip().upper()
    if not _CODE.match(clean):
        raise UserError(f"{code!r} is not an ISO 4217 currency code like USD or EUR")
    return clean


def currency_exponent(code: str) -> int:
    """Decimal places of the currency's minor unit: 2 for USD and EUR, 0 for JPY, 3 for KWD."""
    return NON_DEFAULT_EXPONENTS.get(normalize_currency(code), DEFAULT_EXPONENT)


def to_minor(amount: Decimal | str | int, exponent: int = DEFAULT_EXPONENT) -> int:
    """Integer minor units of an exact amount: ``to_minor("19.99") == 1999``.

    Raises ValueError when the amount is not a finite number or has more decimals than the
    currency allows (``to_minor("1.005")``): money is never rounded silently.
    """
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount).strip())
    except InvalidOperation:
        raise ValueError(f"{amount!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{amount!r} is not a finite amount")
    scaled = value.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount!r} has more than {exponent} decimal places")
    return int(scaled)


def from_minor(minor: int, exponent: int = DEFAULT_EXPONENT) -> Decimal:
    """The exact Decimal of a minor-unit count: ``from_minor(1999) == Decimal("19.99")``."""
    return Decimal(int(minor)).scaleb(-exponent)


def format_minor(minor: int, exponent: int = DEFAULT_EXPONENT) -> str:
    """A plain decimal string with exactly ``exponent`` places: ``format_minor(-5) == "-0.05"``."""
    return f"{from_minor(minor, exponent):.{exponent}f}"
