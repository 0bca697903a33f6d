"""Coupon codes: one canonical spelling, and unguessable random codes for batches.

A code is compared in its canonical form (upper case, without spaces or dashes), so
``summer-10`` and ``SUMMER10`` are one code. Generated codes draw 12 symbols from Crockford's
base-32 alphabet (no I, L, O, U to misread) with :mod:`secrets`: 60 random bits, so guessing
one of a million issued codes takes about 10^12 tries.
"""

from __future__ import annotations

import re
import secrets

from holdfast.errors import UserError

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_SYMBOLS = 12
MAX_LENGTH = 64
_VALID = re.compile(r"^[A-Z0-9_]+$")
_SEPARATORS = re.compile(r"[\s-]+")


def canonical_code(text: str) -> str:
    """The stored form of a code: ``" summer-10 "`` → ``"SUMMER10"``; UserError if unusable."""
    code = _SEPARATORS.sub("", text).upper()
    if not code:
        raise UserError("a coupon code cannot be empty")
    if len(code) > MAX_LENGTH:
        raise UserError(f"coupon code {text!r} is longer than {MAX_LENGTH} characters")
    if not _VALID.match(code):
        raise UserError(f"coupon code {text!r} may only have letters, digits, '_' and '-'")
    return code


def random_code(prefix: str = "", symbols: int = RANDOM_SYMBOLS) -> str:
    """A new unguessable code in canonical form, e.g. ``WELCOME7K3M9QX2D4PA``."""
    head = canonical_code(prefix) if prefix else ""
    if len(head) + symbols > MAX_LENGTH:
        raise UserError(f"prefix {prefix!r} is too long for a {symbols}-symbol code")
    return head + "".join(secrets.choice(ALPHABET) for _ in range(symbols))
