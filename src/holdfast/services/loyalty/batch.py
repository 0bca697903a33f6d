"""Credits in batches: many customers per transaction, each credit with its own key.

A batch is cut into chunks; each chunk is one transaction (claim the keys, raise the
balances, write the entries and lots, store the results), so a crash leaves whole chunks
behind and never a half-written one. Running the batch again skips every key already used
and credits the rest: nothing is credited twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

import sqlalchemy as sa

from holdfast.domain.loyalty_expiry import expiry_of
from holdfast.domain.loyalty_refusals import KeyConflict
from holdfast.errors import UserError
from holdfast.services.loyalty.db import Db, as_utc, customer_ids, engine_for, transaction
from holdfast.services.loyalty.keys import check_key, claim_many, fingerprint, save_results, stored
from holdfast.services.loyalty.ledger import ACCOUNTS, Change, write_credits
from holdfast.services.loyalty.program import program_in
from holdfast.services.loyalty.results import BatchSummary, PointsResult

DEFAULT_CHUNK = 1000


@dataclass(frozen=True)
class EarnRequest:
    """One credit of a batch: the shop's customer id, points, and the idempotency key."""

    customer: str
    points: int
    key: str
    reason: str | None = None
    reference: str | None = None


@dataclass(frozen=True)
class Keyed:
    """A credit to write with its request's operation, fingerprint and the shop's customer id."""

    change: Change
    operation: str
    digest: str
    customer: str


def chunks(items: Iterable[object], size: int) -> Iterator[list]:
    """Consecutive lists of at most ``size`` items."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def credit_keyed(conn: sa.Connection, items: Sequence[Keyed]) -> BatchSummary:
    """Write the credits whose keys are new; count the others as replays (same request) or
    refuse them (KeyConflict). Runs inside the caller's transaction."""
    unique: dict[str, Keyed] = {}
    for item in items:
        key = item.change.key
        assert key is not None
        earlier = unique.get(key)
        if earlier is not None and (earlier.operation, earlier.digest) != (
            item.operation,
            item.digest,
        ):
            raise KeyConflict(f"idempotency key {key!r} is used twice in one batch")
        unique.setdefault(key, item)
    requests = sorted((k, i.operation, i.digest) for k, i in unique.items())
    taken = claim_many(conn, requests)
    stored(conn, [r for r in requests if r[0] not in taken])  # refuses a key conflict
    fresh = [item for key, item in unique.items() if key in taken]
    written = write_credits(conn, [item.change for item in fresh])
    results = {
        item.change.key: PointsResult(
            item.change.key, item.customer, w.entry_id, w.points, w.balance
        ).stored()
        for item, w in zip(fresh, written, strict=True)
    }
    save_results(conn, results)  # type: ignore[arg-type]
    return BatchSummary(
        credited=len(fresh),
        replayed=len(items) - len(fresh),
        points=sum(w.points for w in written),
    )


def earn_many(
    db: Db,
    requests: Iterable[EarnRequest],
    *,
    now: datetime | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    on_chunk: Callable[[BatchSummary], None] | None = None,
) -> BatchSummary:
    """Credit many customers, ``chunk_size`` per transaction; safe to rerun after a crash.

    In a members' club, customers who have not joined are skipped (counted in ``skipped``).
    """
    if chunk_size < 1:
        raise UserError("chunk size must be at least 1")
    at = as_utc(now)
    total = BatchSummary()
    with engine_for(db) as engine:
        for chunk in chunks(requests, chunk_size):
            with transaction(engine) as conn:
                summary = _earn_chunk(conn, chunk, at)
            total += summary
            if on_chunk is not None:
                on_chunk(summary)
    return total


def _earn_chunk(conn: sa.Connection, chunk: list[EarnRequest], at: datetime) -> BatchSummary:
    ids = customer_ids(conn, [r.customer for r in chunk])
    program = program_in(conn)
    expires = expiry_of(at, program.expiry) if program else None
    members = _members(conn, list(ids.values())) if program and program.members_club else None
    items = []
    for request in chunk:
        if isinstance(request.points, bool) or request.points <= 0:
            raise UserError(f"{request.customer}: points must be above 0, not {request.points!r}")
        ident = ids[request.customer]
        if members is not None and ident not in members:
            continue
        key = check_key(request.key)
        change = Change(
            ident,
            request.points,
            "earn",
            at,
            key,
            request.reference,
            request.reason,
            expires_at=expires,
        )
        digest = fingerprint("earn", customer=request.customer, points=request.points)
        items.append(Keyed(change, "earn", digest, request.customer))
    summary = credit_keyed(conn, items)
    return summary + BatchSummary(skipped=len(chunk) - len(items))


def _members(conn: sa.Connection, ids: list[int]) -> set[int]:
    rows = conn.execute(
        sa.select(ACCOUNTS.c.customer_id).where(
            ACCOUNTS.c.customer_id.in_(ids), ACCOUNTS.c.joined_at.is_not(None)
        )
    )
    return {ident for (ident,) in rows}
