"""Idempotency keys: the first request with a key does the work, every replay gets its result.

A request claims its key with ``INSERT … ON CONFLICT DO NOTHING`` at the start of its
transaction. A concurrent request with the same key waits on the key's unique index (on
PostgreSQL; SQLite lets one writer in at a time) and then finds the key taken: it reads the
stored result instead of acting. A refused request rolls back, key and all, so it may be
retried. A key replayed with different parameters is refused (KeyConflict).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from holdfast.domain.loyalty_refusals import KeyConflict
from holdfast.errors import UserError
from holdfast.services.loyalty.db import insert_ignoring
from holdfast.store.loyalty_tables import LoyaltyRequest

REQUESTS = LoyaltyRequest.__table__
MAX_KEY = 255


def check_key(key: str) -> str:
    """A usable key (1–255 characters, not blank)."""
    clean = key.strip()
    if not clean:
        raise UserError("an idempotency key cannot be empty")
    if len(clean) > MAX_KEY:
        raise UserError(f"an idempotency key has at most {MAX_KEY} characters")
    return clean


def fingerprint(operation: str, **params: Any) -> str:
    """A digest of what a request asks for, to tell a replay from a different request."""
    text = json.dumps([operation, params], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def claim(conn: sa.Connection, key: str, operation: str, digest: str) -> dict[str, Any] | None:
    """Take ``key`` for this transaction: None when it is new, else the first result."""
    taken = claim_many(conn, [(key, operation, digest)])
    if key in taken:
        return None
    return stored(conn, [(key, operation, digest)])[key]


def claim_many(conn: sa.Connection, requests: Sequence[tuple[str, str, str]]) -> set[str]:
    """Take every new key of ``(key, operation, fingerprint)``; returns the keys taken now."""
    if not requests:
        return set()
    statement = insert_ignoring(conn, REQUESTS, ["key"]).returning(REQUESTS.c.key)
    rows = [{"key": k, "operation": op, "fingerprint": fp} for k, op, fp in requests]
    return {key for (key,) in conn.execute(statement, rows)}


def stored(
    conn: sa.Connection, requests: Sequence[tuple[str, str, str]]
) -> dict[str, dict[str, Any]]:
    """First results of keys used before; KeyConflict when one was used for another request."""
    wanted = {k: (op, fp) for k, op, fp in requests}
    found: dict[str, dict[str, Any]] = {}
    keys = sorted(wanted)
    for start in range(0, len(keys), 1000):
        rows = conn.execute(
            sa.select(
                REQUESTS.c.key, REQUESTS.c.operation, REQUESTS.c.fingerprint, REQUESTS.c.result
            ).where(REQUESTS.c.key.in_(keys[start : start + 1000]))
        )
        for key, operation, digest, result in rows:
            if (operation, digest) != wanted[key]:
                raise KeyConflict(
                    f"idempotency key {key!r} belongs to an earlier {operation} request "
                    "with other details"
                )
            found[key] = json.loads(result) if result else {}
    return found


def save_results(conn: sa.Connection, results: Mapping[str, Mapping[str, Any]]) -> None:
    """Store each key's result, in the transaction that did the work."""
    if not results:
        return
    conn.execute(
        sa.update(REQUESTS)
        .where(REQUESTS.c.key == sa.bindparam("k"))
        .values(result=sa.bindparam("r")),
        [{"k": key, "r": json.dumps(value, sort_keys=True)} for key, value in results.items()],
    )
