"""Arrow schemas of the shop files (the canonical columns of docs/data-model.md) and the
conversion of one drawn block into Arrow tables.

Money is decimal(18, 2) built straight from integer cents; timestamps are
``timestamp[us, tz=UTC]``; ids are fixed-width strings (C000000001, O0000000001, …).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from holdfast.simulate.block import Block
from holdfast.simulate.catalogue import Catalogue
from holdfast.simulate.config import SimulationConfig
from holdfast.simulate.extras import COMMENTS, PLANS, band
from holdfast.simulate.purchases import STATUSES

MONEY = pa.decimal128(18, 2)
TIMESTAMP = pa.timestamp("us", tz="UTC")
ID_WIDTH = {"C": 9, "O": 10, "S": 9, "R": 10}

SCHEMAS: dict[str, pa.Schema] = {
    "customers": pa.schema(
        [
            pa.field("customer_id", pa.string(), nullable=False),
            ("email", pa.string()),
            ("name", pa.string()),
            ("phone", pa.string()),
            ("country", pa.string()),
            ("signed_up_at", TIMESTAMP),
            ("birthday", pa.date32()),
        ]
    ),
    "orders": pa.schema(
        [
            pa.field("order_id", pa.string(), nullable=False),
            pa.field("customer_id", pa.string(), nullable=False),
            pa.field("ordered_at", TIMESTAMP, nullable=False),
            pa.field("amount", MONEY, nullable=False),
            pa.field("refunded", MONEY, nullable=False),
            pa.field("status", pa.string(), nullable=False),
            ("currency", pa.string()),
        ]
    ),
    "order_lines": pa.schema(
        [
            pa.field("order_id", pa.string(), nullable=False),
            pa.field("line_no", pa.int32(), nullable=False),
            pa.field("product_id", pa.string(), nullable=False),
            ("product_name", pa.string()),
            ("category", pa.string()),
            pa.field("quantity", pa.int32(), nullable=False),
            pa.field("unit_price", MONEY, nullable=False),
            pa.field("amount", MONEY, nullable=False),
        ]
    ),
    "subscriptions": pa.schema(
        [
            pa.field("subscription_id", pa.string(), nullable=False),
            pa.field("customer_id", pa.string(), nullable=False),
            ("plan", pa.string()),
            pa.field("started_at", TIMESTAMP, nullable=False),
            ("ended_at", TIMESTAMP),
            ("monthly_amount", MONEY),
        ]
    ),
    "survey_responses": pa.schema(
        [
            pa.field("response_id", pa.string(), nullable=False),
            ("customer_id", pa.string()),
            pa.field("responded_at", TIMESTAMP, nullable=False),
            pa.field("survey", pa.string(), nullable=False),
            pa.field("score", pa.int32(), nullable=False),
            ("comment", pa.string()),
        ]
    ),
}
TABLES = tuple(SCHEMAS)

TRUTH_SCHEMA = pa.schema(
    [
        pa.field("customer_id", pa.string(), nullable=False),
        ("buyer", pa.bool_()),
        ("first_purchase_at", TIMESTAMP),
        ("lambda", pa.float64()),
        ("p", pa.float64()),
        ("repeat_purchases", pa.int64()),
        ("dropped_out", pa.bool_()),
        ("dropout_at", TIMESTAMP),
        ("alive_at_end", pa.bool_()),
        ("nu", pa.float64()),
        ("expected_spend", pa.float64()),
        ("satisfaction", pa.float64()),
        ("subscriber", pa.bool_()),
        ("theta", pa.float64()),
        ("subscription_months", pa.int64()),
    ]
)


def ids(prefix: str, numbers: np.ndarray) -> pa.Array:
    """Fixed-width string ids: ``ids("O", [1, 2])`` → ["O0000000001", "O0000000002"]."""
    digits = pc.utf8_lpad(
        pc.cast(pa.array(numbers, pa.int64()), pa.string()), ID_WIDTH[prefix], "0"
    )
    return pc.binary_join_element_wise(prefix, digits, "")


def money(cents: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """decimal(18, 2) from int64 cents, without a round trip through floats."""
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63
    validity = None if mask is None else pa.array(~mask).buffers()[1]
    nulls = 0 if mask is None else int(mask.sum())
    return pa.Array.from_buffers(MONEY, len(cents), [validity, pa.py_buffer(words)], nulls)


def timestamps(us: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """UTC timestamps from int64 microseconds since the epoch."""
    return pa.array(np.asarray(us, dtype=np.int64), TIMESTAMP, mask=mask)


@dataclass
class Counters:
    """Running totals that number orders, subscriptions and responses across blocks."""

    orders: int = 0
    subscriptions: int = 0
    responses: int = 0


def block_tables(
    block: Block, catalogue: Catalogue, config: SimulationConfig, counters: Counters
) -> tuple[dict[str, pa.Table], pa.Table]:
    """The five shop tables and the truth table of one block; advances ``counters``."""
    customer_ids = ids("C", block.first + 1 + np.arange(block.size))
    o, li, s, r = block.orders, block.lines, block.subscriptions, block.surveys

    order_ids = ids("O", counters.orders + 1 + np.arange(len(o.status)))
    counters.orders += len(o.status)
    orders = pa.table(
        {
            "order_id": order_ids,
            "customer_id": customer_ids.take(o.customer),
            "ordered_at": timestamps(o.time_us),
            "amount": money(o.amount_cents),
            "refunded": money(o.refunded_cents),
            "status": pa.array(STATUSES).take(o.status),
            "currency": pa.array([config.currency] * len(o.status), pa.string()),
        },
        schema=SCHEMAS["orders"],
    )
    names, categories = pa.array(catalogue.name), pa.array(catalogue.categories)
    lines = pa.table(
        {
            "order_id": order_ids.take(li.order),
            "line_no": li.line_no,
            "product_id": pa.array(catalogue.product_id).take(li.product),
            "product_name": names.take(li.product),
            "category": categories.take(catalogue.category_index[li.product]),
            "quantity": li.quantity,
            "unit_price": money(li.unit_price_cents),
            "amount": money(li.amount_cents),
        },
        schema=SCHEMAS["order_lines"],
    )
    customers = pa.table(
        {"customer_id": customer_ids, "signed_up_at": timestamps(block.signup_us)} | block.details,
    ).select(SCHEMAS["customers"].names)
    customers = customers.cast(SCHEMAS["customers"])

    plan_names = pa.array([name for name, *_ in PLANS])
    plan_cents = np.array([cents for _, cents, _ in PLANS], dtype=np.int64)
    subscriptions = pa.table(
        {
            "subscription_id": ids("S", counters.subscriptions + 1 + np.arange(len(s.plan))),
            "customer_id": customer_ids.take(s.customer),
            "plan": plan_names.take(s.plan),
            "started_at": timestamps(s.start_us),
            "ended_at": timestamps(s.end_us, mask=s.end_us < 0),
            "monthly_amount": money(plan_cents[s.plan]),
        },
        schema=SCHEMAS["subscriptions"],
    )
    counters.subscriptions += len(s.plan)

    anonymous = r.customer < 0
    bank = pa.array(
        [text for key in ("detractor", "passive", "promoter") for text in COMMENTS[key]]
    )
    comment_index = band(r.score) * len(COMMENTS["passive"]) + np.maximum(r.comment, 0)
    surveys = pa.table(
        {
            "response_id": ids("R", counters.responses + 1 + np.arange(len(r.score))),
            "customer_id": pc.if_else(
                pa.array(anonymous),
                pa.scalar(None, pa.string()),
                customer_ids.take(np.maximum(r.customer, 0)),
            ),
            "responded_at": timestamps(r.time_us),
            "survey": pa.array(["nps"] * len(r.score), pa.string()),
            "score": r.score,
            "comment": pc.if_else(
                pa.array(r.comment < 0), pa.scalar(None, pa.string()), bank.take(comment_index)
            ),
        },
        schema=SCHEMAS["survey_responses"],
    )
    counters.responses += len(r.score)
    tables = {
        "customers": customers,
        "orders": orders,
        "order_lines": lines,
        "subscriptions": subscriptions,
        "survey_responses": surveys,
    }
    return tables, truth_table(block, customer_ids, config.gamma_gamma.p)


def truth_table(block: Block, customer_ids: pa.Array, spend_shape: float) -> pa.Table:
    """Per-customer latent values of one block (truth_customers.parquet).

    ``expected_spend`` is the gamma-gamma mean net spend per purchase, p / ν.
    """
    lat, pur, sub = block.latent, block.purchases, block.subscriptions
    theta = np.full(block.size, np.nan)
    theta[sub.customer] = lat.theta[sub.customer]
    months = np.zeros(block.size, dtype=np.int64)
    months[sub.customer] = sub.months
    return pa.table(
        {
            "customer_id": customer_ids,
            "buyer": lat.buyer,
            "first_purchase_at": timestamps(lat.acquired_us, mask=~lat.buyer),
            "lambda": lat.lam,
            "p": lat.p,
            "repeat_purchases": pur.repeats.astype(np.int64),
            "dropped_out": pur.dropped,
            "dropout_at": timestamps(pur.dropout_us, mask=~pur.dropped),
            "alive_at_end": lat.buyer & ~pur.dropped,
            "nu": lat.nu,
            "expected_spend": spend_shape / lat.nu,
            "satisfaction": block.satisfaction,
            "subscriber": lat.subscriber,
            "theta": pa.array(theta, mask=~lat.subscriber),
            "subscription_months": pa.array(months, mask=~lat.subscriber),
        },
        schema=TRUTH_SCHEMA,
    )


def empty_tables() -> dict[str, pa.Table]:
    """The five shop tables with no rows."""
    return {name: schema.empty_table() for name, schema in SCHEMAS.items()}
