"""Creating coupons: one named code, or a batch of unguessable single-use codes.

A code is unique in the store. Creating the same code again with the same terms is a no-op
that returns it (so a script may be rerun); other terms are refused. A batch is found again
by its key: rerunning it returns the codes made the first time, never a second batch.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, replace

import sqlalchemy as sa

from holdfast.domain.coupons_codes import canonical_code, random_code
from holdfast.domain.loyalty_refusals import KeyConflict
from holdfast.errors import UserError
from holdfast.services.coupons.results import BatchResult, CouponView
from holdfast.services.coupons.rows import (
    BATCHES,
    COUPONS,
    REDEMPTIONS,
    find_coupon,
    store_exponent,
    terms_of,
)
from holdfast.services.coupons.spec import CouponSpec, checked_values
from holdfast.services.loyalty.db import Db, external_ids, insert_ignoring, reading, transaction

MAX_BATCH = 1_000_000
_COMPARED = (
    "percent",
    "amount_minor",
    "free_shipping",
    "min_order_minor",
    "first_order_only",
    "min_tier",
    "segment",
    "max_uses",
    "per_customer_limit",
    "starts_at",
    "expires_at",
)


def create_coupon(db: Db, code: str, spec: CouponSpec) -> CouponView:
    """Create the coupon ``code``; the same code with the same terms again returns it."""
    code = canonical_code(code)
    with transaction(db) as conn:
        values = checked_values(spec, store_exponent(conn))
        made = conn.execute(
            insert_ignoring(conn, COUPONS, ["code"]).returning(COUPONS.c.id),
            {"code": code, **values},
        ).first()
        row = find_coupon(conn, code)
        if made is None and any(_same(row, name, values[name]) is False for name in _COMPARED):
            raise UserError(f"coupon {code!r} already exists with other terms")
        return view_of(conn, row, created=made is not None)


def _same(row: sa.Row, name: str, value: object) -> bool:
    stored = getattr(row, name)
    if isinstance(value, bool) or isinstance(stored, bool):
        return bool(stored) == bool(value)
    return stored == value


def create_batch(
    db: Db, count: int, batch_key: str, spec: CouponSpec, prefix: str = ""
) -> BatchResult:
    """Make ``count`` single-use codes with the terms of ``spec`` in one transaction.

    The batch key makes it idempotent: the same key and request return the first codes,
    the same key with another request is refused (KeyConflict).
    """
    if isinstance(count, bool) or not 1 <= count <= MAX_BATCH:
        raise UserError(f"a batch has 1 to {MAX_BATCH:,} codes, not {count!r}")
    key = batch_key.strip()
    if not key:
        raise UserError("a batch needs a key (--key), so running it again makes no second batch")
    spec = replace(spec, max_uses=1)
    head = canonical_code(prefix) if prefix else ""
    random_code(head)  # refuses a prefix too long for a code
    digest = hashlib.sha256(
        json.dumps([count, head, asdict(spec)], default=str, sort_keys=True).encode()
    ).hexdigest()
    with transaction(db) as conn:
        values = checked_values(spec, store_exponent(conn))
        made = conn.execute(
            insert_ignoring(conn, BATCHES, ["batch_key"]).returning(BATCHES.c.id),
            {"batch_key": key, "fingerprint": digest, "size": count, "prefix": head or None},
        ).first()
        if made is None:
            return _existing_batch(conn, key, digest)
        codes = _insert_codes(conn, made.id, count, head, values)
    return BatchResult(key, codes, created=True)


def _insert_codes(
    conn: sa.Connection, batch_id: int, count: int, head: str, values: dict[str, object]
) -> list[str]:
    codes: list[str] = []
    while len(codes) < count:
        wanted = {random_code(head) for _ in range(min(count - len(codes), 10_000))}
        statement = insert_ignoring(conn, COUPONS, ["code"]).returning(COUPONS.c.code)
        rows = [{"code": c, "batch_id": batch_id, **values} for c in sorted(wanted)]
        codes += [code for (code,) in conn.execute(statement, rows)]  # a collision is redrawn
    return codes


def _existing_batch(conn: sa.Connection, key: str, digest: str) -> BatchResult:
    batch = conn.execute(
        sa.select(BATCHES.c.id, BATCHES.c.fingerprint).where(BATCHES.c.batch_key == key)
    ).one()
    if batch.fingerprint != digest:
        raise KeyConflict(f"batch key {key!r} was first used for a different batch")
    codes = conn.execute(
        sa.select(COUPONS.c.code).where(COUPONS.c.batch_id == batch.id).order_by(COUPONS.c.id)
    ).scalars()
    return BatchResult(key, list(codes), created=False)


def set_disabled(db: Db, code: str, disabled: bool = True) -> CouponView:
    """Switch a coupon off (every later redemption is refused as expired) or on again;
    redemptions made before stay."""
    with transaction(db) as conn:
        row = find_coupon(conn, code, lock=True)
        conn.execute(sa.update(COUPONS).where(COUPONS.c.id == row.id).values(disabled=disabled))
        return view_of(conn, find_coupon(conn, code))


def show_coupon(db: Db, code: str) -> CouponView:
    """A coupon's terms and use."""
    with reading(db) as conn:
        return view_of(conn, find_coupon(conn, code))


def view_of(conn: sa.Connection, row: sa.Row, *, created: bool = True) -> CouponView:
    """The view of a coupon row."""
    owner = external_ids(conn, [row.customer_id])[row.customer_id] if row.customer_id else None
    batch_key = None
    if row.batch_id is not None:
        batch_key = conn.execute(
            sa.select(BATCHES.c.batch_key).where(BATCHES.c.id == row.batch_id)
        ).scalar_one()
    released = conn.execute(
        sa.select(sa.func.count()).where(
            REDEMPTIONS.c.coupon_id == row.id, REDEMPTIONS.c.released_at.is_not(None)
        )
    ).scalar_one()
    return CouponView(
        code=row.code,
        terms=terms_of(row),
        max_uses=row.max_uses,
        per_customer=row.per_customer_limit,
        uses=row.uses,
        starts_at=row.starts_at,
        expires_at=row.expires_at,
        disabled=bool(row.disabled),
        owner=owner,
        batch_key=batch_key,
        released=int(released),
        exponent=store_exponent(conn),
        created=created,
    )
