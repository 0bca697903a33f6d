"""Identity fingerprints: one person behind two customer records, seen by email, phone or
payment fingerprint.

Values are normalised (email trimmed and lower-cased, phone reduced to its digits) and kept
only as SHA-256 digests, so the table says "the same" without holding the value itself.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

import sqlalchemy as sa

from holdfast.services.loyalty.db import insert_ignoring
from holdfast.store.coupon_tables import IdentityFingerprint
from holdfast.store.tables import Customer

FINGERPRINTS = IdentityFingerprint.__table__
CUSTOMERS = Customer.__table__
_NOT_DIGITS = re.compile(r"\D+")
MIN_PHONE_DIGITS = 6


def digest(kind: str, value: str | None) -> str | None:
    """The stored digest of an email, phone or payment fingerprint; None when empty."""
    if value is None:
        return None
    if kind == "email":
        clean = value.strip().lower()
    elif kind == "phone":
        clean = _NOT_DIGITS.sub("", value)
        clean = clean if len(clean) >= MIN_PHONE_DIGITS else ""
    else:
        clean = value.strip()
    if not clean:
        return None
    return hashlib.sha256(f"{kind}:{clean}".encode()).hexdigest()


def remember(conn: sa.Connection, ident: int, payment: str | None = None) -> set[tuple[str, str]]:
    """Store the customer's fingerprints (email and phone from the store, and ``payment``);
    returns them as (kind, digest)."""
    row = conn.execute(
        sa.select(CUSTOMERS.c.email, CUSTOMERS.c.phone).where(CUSTOMERS.c.id == ident)
    ).one()
    found = {
        (kind, d)
        for kind, value in (("email", row.email), ("phone", row.phone), ("payment", payment))
        if (d := digest(kind, value)) is not None
    }
    if found:
        conn.execute(
            insert_ignoring(conn, FINGERPRINTS, ["kind", "digest", "customer_id"]),
            [{"kind": k, "digest": d, "customer_id": ident} for k, d in sorted(found)],
        )
    return found


def shared_with(
    conn: sa.Connection, prints: Iterable[tuple[str, str]], others: sa.ColumnElement[bool]
) -> tuple[str, int] | None:
    """The first (kind, customer id) among customers matching ``others`` that has one of
    ``prints``; None when nobody shares them."""
    for kind, value in sorted(prints):
        hit = conn.execute(
            sa.select(FINGERPRINTS.c.customer_id)
            .where(FINGERPRINTS.c.kind == kind, FINGERPRINTS.c.digest == value, others)
            .order_by(FINGERPRINTS.c.customer_id)
            .limit(1)
        ).scalar_one_or_none()
        if hit is not None:
            return kind, hit
    return None
