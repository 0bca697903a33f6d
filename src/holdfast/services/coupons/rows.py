"""The coupon tables as the services read them: a coupon row to its terms, and its row lock.

``lock_coupon`` is where every write to a coupon starts: on PostgreSQL it takes the row lock
(``SELECT … FOR UPDATE``), so a concurrent redemption waits and then re-reads committed
state; on SQLite the transaction already holds the write lock (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

import sqlalchemy as sa

from holdfast.domain.coupons import CouponTerms
from holdfast.domain.coupons_codes import canonical_code
from holdfast.domain.money import DEFAULT_EXPONENT, currency_exponent
from holdfast.errors import NotFound, Refused
from holdfast.services.loyalty.db import Db, engine_for, is_postgres, transaction
from holdfast.store.coupon_tables import Coupon, CouponBatch, CouponRedemption
from holdfast.store.tables import StoreSetting

COUPONS = Coupon.__table__
BATCHES = CouponBatch.__table__
REDEMPTIONS = CouponRedemption.__table__
ATTEMPTS = 3
T = TypeVar("T")


def retrying(db: Db, work: Callable[[sa.Connection], T], lost: Callable[[], Refused]) -> T:
    """Run ``work`` in a transaction; when a unique constraint refuses it (a concurrent
    request committed first), run it again against the committed state, so a replay gets
    the first result and a loser a clean refusal (``lost()`` if it keeps losing)."""
    with engine_for(db) as engine:
        for _ in range(ATTEMPTS):
            try:
                with transaction(engine) as conn:
                    return work(conn)
            except sa.exc.IntegrityError:
                continue
    raise lost()


def store_exponent(conn: sa.Connection) -> int:
    """Decimal places of the store's currency (2 when the store has none yet)."""
    currency = conn.execute(
        sa.select(StoreSetting.value).where(StoreSetting.key == "currency")
    ).scalar_one_or_none()
    return currency_exponent(currency) if currency else DEFAULT_EXPONENT


def find_coupon(conn: sa.Connection, code: str, *, lock: bool = False) -> sa.Row:
    """The coupon row of ``code`` (any spelling), locked for this transaction if asked."""
    query = sa.select(COUPONS).where(COUPONS.c.code == canonical_code(code))
    if lock and is_postgres(conn):
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"no coupon {canonical_code(code)!r}")
    return row


def terms_of(row: sa.Row) -> CouponTerms:
    """The domain terms of a coupon row."""
    return CouponTerms(
        percent=None if row.percent is None else Decimal(row.percent),
        amount_minor=row.amount_minor,
        free_shipping=bool(row.free_shipping),
        min_order_minor=row.min_order_minor,
        first_order_only=bool(row.first_order_only),
        min_tier=row.min_tier,
        segment=row.segment,
    )


def terms_values(terms: CouponTerms) -> dict[str, object]:
    """Column values of a coupon's terms."""
    return {
        "percent": terms.percent,
        "amount_minor": terms.amount_minor,
        "free_shipping": terms.free_shipping,
        "min_order_minor": terms.min_order_minor,
        "first_order_only": terms.first_order_only,
        "min_tier": terms.min_tier,
        "segment": terms.segment,
    }
