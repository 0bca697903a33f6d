"""Reading the scores back: runs, segment sizes and value with the change since the previous
run, stage transitions between two runs, one segment's customers, one customer's profile."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from holdfast.domain.lifecycle import NOT_YET, STAGES
from holdfast.domain.money import currency_exponent
from holdfast.domain.segments import SEGMENT_NAMES
from holdfast.errors import NotFound, UserError
from holdfast.services.database import upgrade_store
from holdfast.store.engine import connect_or_explain, create_store_engine
from holdfast.store.score_tables import CustomerScore, ScoreRun
from holdfast.store.tables import Customer, Order, StoreSetting

RUNS = ScoreRun.__table__
SCORES = CustomerScore.__table__
CUSTOMERS = Customer.__table__
ORDERS = Order.__table__


@dataclass(frozen=True)
class RunInfo:
    """One scoring run as stored."""

    id: int
    as_of: dt.date
    model: str | None
    note: str | None
    customers: int
    summary: dict[str, Any]


@dataclass(frozen=True)
class SegmentRow:
    """One segment in a run: size, share, value, VIPs and the change in size since the
    previous run (None when there is none)."""

    name: str
    customers: int
    share: float
    value: float
    vips: int
    change: int | None


@dataclass(frozen=True)
class SegmentReport:
    """The segments of one run; ``value_kind`` says whether value is predicted or historical."""

    run: RunInfo
    previous: RunInfo | None
    value_kind: str
    currency: str | None
    rows: list[SegmentRow]


@contextmanager
def store(url: str) -> Iterator[tuple[sa.Connection, int, str | None]]:
    """A connection to the migrated store, its minor-unit scale and its currency."""
    upgrade_store(url)
    engine = create_store_engine(url)
    try:
        with connect_or_explain(engine) as conn:
            currency = conn.execute(
                sa.select(StoreSetting.value).where(StoreSetting.key == "currency")
            ).scalar()
            scale = 10 ** currency_exponent(currency) if currency else 100
            yield conn, scale, currency
    finally:
        engine.dispose()


def _run(row: sa.RowMapping) -> RunInfo:
    settings = json.loads(row["settings"] or "{}")
    as_of = row["as_of"]
    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    return RunInfo(
        row["id"], as_of, row["model"], row["note"], row["customers"], settings.get("summary", {})
    )


def runs(conn: sa.Connection) -> list[RunInfo]:
    """Every run, oldest first."""
    rows = conn.execute(sa.select(RUNS).order_by(RUNS.c.as_of)).mappings().all()
    return [_run(r) for r in rows]


def pick_run(conn: sa.Connection, as_of: dt.date | None) -> tuple[RunInfo, RunInfo | None]:
    """The run for ``as_of`` (default the latest) and the run before it, if any."""
    every = runs(conn)
    if not every:
        raise UserError("the store has no scores yet: run `holdfast score` first")
    if as_of is None:
        chosen = len(every) - 1
    else:
        found = [i for i, r in enumerate(every) if r.as_of == as_of]
        if not found:
            dates = ", ".join(str(r.as_of) for r in every[-5:])
            raise NotFound(f"no scoring run as of {as_of} (latest runs: {dates})")
        chosen = found[0]
    return every[chosen], every[chosen - 1] if chosen > 0 else None


def _counts(conn: sa.Connection, run_id: int) -> dict[str, tuple[int, int, int, int]]:
    query = (
        sa.select(
            SCORES.c.segment,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(SCORES.c.predicted_value_minor), 0),
            sa.func.coalesce(sa.func.sum(SCORES.c.spend_minor), 0),
            sa.func.sum(sa.case((SCORES.c.vip, 1), else_=0)),
        )
        .where(SCORES.c.run_id == run_id)
        .group_by(SCORES.c.segment)
    )
    return {r[0]: (int(r[1]), int(r[2]), int(r[3]), int(r[4] or 0)) for r in conn.execute(query)}


def segment_report(url: str, as_of: dt.date | None = None) -> SegmentReport:
    """Every segment of the run (in the rules' order), with the change since the run before."""
    with store(url) as (conn, scale, currency):
        run, previous = pick_run(conn, as_of)
        now = _counts(conn, run.id)
        before = _counts(conn, previous.id) if previous else None
    predicted = run.model is not None
    total = sum(c[0] for c in now.values()) or 1
    rows = []
    for name in SEGMENT_NAMES:
        n, value, spend, vips = now.get(name, (0, 0, 0, 0))
        change = None if before is None else n - before.get(name, (0, 0, 0, 0))[0]
        amount = (value if predicted else spend) / scale
        rows.append(SegmentRow(name, n, n / total, amount, vips, change))
    kind = "predicted" if predicted else "historical"
    return SegmentReport(run, previous, kind, currency, rows)


def stage_transitions(
    url: str, before: dt.date | None = None, after: dt.date | None = None
) -> tuple[RunInfo, RunInfo, dict[tuple[str, str], int]]:
    """Customers moving from each stage to each other between two runs (default: the last
    two); customers new in the later run come from "not yet a customer"."""
    with store(url) as (conn, _, _):
        later, previous = pick_run(conn, after)
        earlier = pick_run(conn, before)[0] if before is not None else previous
        if earlier is None:
            raise UserError("stage transitions need two scoring runs; there is one")
        if not earlier.as_of < later.as_of:
            raise UserError(f"the earlier run ({earlier.as_of}) must be before {later.as_of}")
        old = SCORES.alias("old")
        query = (
            sa.select(old.c.stage, SCORES.c.stage, sa.func.count())
            .select_from(
                SCORES.outerjoin(
                    old, (old.c.customer_id == SCORES.c.customer_id) & (old.c.run_id == earlier.id)
                )
            )
            .where(SCORES.c.run_id == later.id)
            .group_by(old.c.stage, SCORES.c.stage)
        )
        counts = {(a or NOT_YET, b): int(n) for a, b, n in conn.execute(query)}
    return earlier, later, counts


def transition_matrix(counts: dict[tuple[str, str], int]) -> list[dict[str, Any]]:
    """Rows by earlier stage (known stages first), a column per later stage."""
    earlier = [s for s in (*STAGES, NOT_YET) if any(k[0] == s for k in counts)]
    return [{"from": a, **{b: counts.get((a, b), 0) for b in STAGES}} for a in earlier]


EXPORT_COLUMNS = (
    "customer_id",
    "email",
    "name",
    "segment",
    "stage",
    "r_score",
    "f_score",
    "m_score",
    "orders",
    "recency_days",
    "p_alive",
    "expected_purchases",
    "predicted_value",
    "expected_next_order",
    "vip",
    "recommendations",
)


def segment_name(name: str) -> str:
    """The segment's canonical name (case and spacing forgiven), or NotFound listing them."""
    wanted = " ".join(name.split()).casefold()
    for known in SEGMENT_NAMES:
        if known.casefold() == wanted:
            return known
    raise NotFound(f"no segment {name!r}: the segments are {', '.join(SEGMENT_NAMES)}")


def segment_members(
    url: str, name: str, as_of: dt.date | None = None
) -> tuple[RunInfo, list[dict[str, Any]]]:
    """The customers of one segment in a run, best predicted value first."""
    segment = segment_name(name)
    with store(url) as (conn, scale, _):
        run, _ = pick_run(conn, as_of)
        query = (
            sa.select(SCORES, CUSTOMERS.c.external_id, CUSTOMERS.c.email, CUSTOMERS.c.name)
            .join(CUSTOMERS, CUSTOMERS.c.id == SCORES.c.customer_id)
            .where((SCORES.c.run_id == run.id) & (SCORES.c.segment == segment))
            .order_by(
                SCORES.c.predicted_value_minor.desc().nulls_last(),
                SCORES.c.spend_minor.desc(),
                CUSTOMERS.c.external_id,
            )
        )
        rows = [_member(r, scale) for r in conn.execute(query).mappings()]
    return run, rows


def _member(row: sa.RowMapping, scale: int) -> dict[str, Any]:
    value = row["predicted_value_minor"]
    recs = row["recommendations"]
    return {
        "customer_id": row["external_id"],
        "email": row["email"],
        "name": row["name"],
        "segment": row["segment"],
        "stage": row["stage"],
        "r_score": row["r_score"],
        "f_score": row["f_score"],
        "m_score": row["m_score"],
        "orders": row["orders"],
        "recency_days": row["recency_days"],
        "spend": row["spend_minor"] / scale,
        "p_alive": row["p_alive"],
        "expected_purchases": row["expected_purchases"],
        "predicted_value": None if value is None else value / scale,
        "expected_next_order": row["expected_next_order"],
        "vip": bool(row["vip"]),
        "recommendations": json.loads(recs) if recs else [],
    }


@dataclass(frozen=True)
class CustomerProfile:
    """One customer: who, their orders, their scores in the latest run (None if unscored)."""

    customer_id: str
    email: str | None
    name: str | None
    currency: str | None
    orders: list[dict[str, Any]]
    scores: dict[str, Any] | None
    run: RunInfo | None


def customer_profile(url: str, customer_id: str) -> CustomerProfile:
    """History, latest scores and recommendations of the customer with the shop's id."""
    with store(url) as (conn, scale, currency):
        person = (
            conn.execute(sa.select(CUSTOMERS).where(CUSTOMERS.c.external_id == customer_id))
            .mappings()
            .first()
        )
        if person is None:
            raise NotFound(f"no customer {customer_id!r} in the store")
        orders = [
            {
                "order_id": r["external_id"],
                "ordered_at": r["ordered_at"],
                "amount": r["amount_minor"] / scale,
                "refunded": r["refunded_minor"] / scale,
                "status": r["status"],
            }
            for r in conn.execute(
                sa.select(ORDERS)
                .where(ORDERS.c.customer_id == person["id"])
                .order_by(ORDERS.c.ordered_at, ORDERS.c.id)
            ).mappings()
        ]
        every = runs(conn)
        scores, run = None, None
        if every:
            run = every[-1]
            row = (
                conn.execute(
                    sa.select(SCORES, CUSTOMERS.c.external_id, CUSTOMERS.c.email, CUSTOMERS.c.name)
                    .join(CUSTOMERS, CUSTOMERS.c.id == SCORES.c.customer_id)
                    .where((SCORES.c.run_id == run.id) & (SCORES.c.customer_id == person["id"]))
                )
                .mappings()
                .first()
            )
            scores = None if row is None else _member(row, scale)
    return CustomerProfile(
        customer_id, person["email"], person["name"], currency, orders, scores, run
    )
