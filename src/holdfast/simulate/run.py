"""Drawing a whole shop block by block: in memory (:func:`simulate`) or streamed to files
(:func:`simulate_to`), both from the same batches, so they give the same data."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import pyarrow as pa

from holdfast import __version__
from holdfast.simulate.block import BLOCK_CUSTOMERS, CATALOGUE_KEY, Block, draw_block, stream
from holdfast.simulate.catalogue import Catalogue, build_catalogue
from holdfast.simulate.clock import (
    HOUR_WEIGHTS,
    WEEKDAY_WEIGHTS,
    YEARLY_BUMPS,
    YEARLY_COSINE,
    Clock,
    build_clock,
    from_us,
)
from holdfast.simulate.config import SimulationConfig
from holdfast.simulate.extras import MONTH_US, NPS_BASE, NPS_NOISE_SD, NPS_SPAN, PLANS
from holdfast.simulate.purchases import CANCELLED, COMPLETED, REFUNDED
from holdfast.simulate.sizing import customers_for
from holdfast.simulate.tables import TABLES, TRUTH_SCHEMA, Counters, block_tables, empty_tables

#: Customers per batch handed to the writer (rounded up to whole blocks).
DEFAULT_CHUNK_CUSTOMERS = 50_000
ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class Shop:
    """A simulated shop held in memory: the five tables, the truth and per-customer truth."""

    tables: dict[str, pa.Table]
    truth: dict[str, Any]
    truth_customers: pa.Table


@dataclass(frozen=True)
class Plan:
    """What is fixed before any block is drawn: the clock, the catalogue, the shop size."""

    config: SimulationConfig
    clock: Clock
    catalogue: Catalogue
    customers: int

    @property
    def blocks(self) -> int:
        """Number of fixed-size customer blocks."""
        return -(-self.customers // BLOCK_CUSTOMERS)


def make_plan(config: SimulationConfig) -> Plan:
    """Build the clock and catalogue and settle the number of customers."""
    clock = build_clock(config.start, config.end, config.seasonality, config.growth)
    catalogue = build_catalogue(stream(config.seed, CATALOGUE_KEY), config.products)
    return Plan(config, clock, catalogue, customers_for(config, clock))


@dataclass
class Tally:
    """Counts and money summed over blocks (the ``counts`` of truth.json)."""

    customers: int = 0
    buyers: int = 0
    purchases: int = 0
    orders: int = 0
    orders_completed: int = 0
    orders_cancelled: int = 0
    orders_refunded: int = 0
    partially_refunded: int = 0
    order_lines: int = 0
    subscriptions: int = 0
    subscriptions_running_at_end: int = 0
    survey_responses: int = 0
    customers_dropped_out: int = 0
    gross_revenue_cents: int = 0
    net_revenue_cents: int = 0
    counters: Counters = field(default_factory=Counters)

    def add(self, block: Block) -> None:
        """Add one block's counts."""
        o = block.orders
        self.customers += block.size
        self.buyers += int(block.latent.buyer.sum())
        self.purchases += len(block.purchases.customer)
        self.orders += len(o.status)
        self.orders_completed += int((o.status == COMPLETED).sum())
        self.orders_cancelled += int((o.status == CANCELLED).sum())
        self.orders_refunded += int((o.status == REFUNDED).sum())
        self.partially_refunded += int(((o.status == COMPLETED) & (o.refunded_cents > 0)).sum())
        self.order_lines += len(block.lines.order)
        self.subscriptions += len(block.subscriptions.plan)
        self.subscriptions_running_at_end += int((block.subscriptions.end_us < 0).sum())
        self.survey_responses += len(block.surveys.score)
        self.customers_dropped_out += int(block.purchases.dropped.sum())
        self.gross_revenue_cents += int(o.amount_cents[o.status == COMPLETED].sum())
        self.net_revenue_cents += int(o.net_cents.sum())

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready counts; money as decimal strings."""
        out = {k: v for k, v in asdict(self).items() if k != "counters"}
        for key in ("gross_revenue_cents", "net_revenue_cents"):
            cents = out.pop(key)
            out[key.removesuffix("_cents")] = f"{cents / 100:.2f}"
        return out


def batches(
    plan: Plan, chunk_customers: int, tally: Tally
) -> Iterator[tuple[dict[str, pa.Table], pa.Table]]:
    """Shop tables and truth rows, ``chunk_customers`` (rounded to whole blocks) at a time."""
    per_batch = max(1, -(-chunk_customers // BLOCK_CUSTOMERS))
    for first in range(0, plan.blocks, per_batch):
        parts: list[tuple[dict[str, pa.Table], pa.Table]] = []
        for index in range(first, min(first + per_batch, plan.blocks)):
            block = draw_block(plan.config, plan.catalogue, plan.clock, plan.customers, index)
            tally.add(block)
            parts.append(block_tables(block, plan.catalogue, plan.config, tally.counters))
        tables = {name: pa.concat_tables([p[0][name] for p in parts]) for name in TABLES}
        yield tables, pa.concat_tables([p[1] for p in parts])


def simulate(config: SimulationConfig) -> Shop:
    """Draw a whole shop in memory (for demos and tests; use :func:`simulate_to` for big ones).

    >>> shop = simulate(SimulationConfig(customers=100, seed=1))
    >>> sorted(shop.tables)
    ['customers', 'order_lines', 'orders', 'subscriptions', 'survey_responses']
    """
    plan = make_plan(config)
    tally = Tally()
    parts = list(batches(plan, DEFAULT_CHUNK_CUSTOMERS, tally))
    if parts:
        tables = {name: pa.concat_tables([p[0][name] for p in parts]) for name in TABLES}
        truth_customers = pa.concat_tables([p[1] for p in parts])
    else:
        tables, truth_customers = empty_tables(), TRUTH_SCHEMA.empty_table()
    return Shop(tables, truth(plan, tally), truth_customers)


def truth(plan: Plan, tally: Tally) -> dict[str, Any]:
    """Everything the shop was drawn from, with its counts (the content of truth.json)."""
    c, clock = plan.config, plan.clock
    weekday = WEEKDAY_WEIGHTS / WEEKDAY_WEIGHTS.mean()
    hourly = HOUR_WEIGHTS / HOUR_WEIGHTS.mean()
    return {
        "generator": f"holdfast simulate {__version__}",
        "seed": c.seed,
        "period": {
            "start": from_us(clock.start_us).isoformat() + "Z",
            "end": from_us(clock.end_us).isoformat() + "Z",
            "end_is_exclusive": True,
            "days": (clock.end_us - clock.start_us) // (86_400 * 1_000_000),
        },
        "size": {
            "customers": plan.customers,
            "requested_customers": c.customers,
            "requested_orders": c.orders,
            "block_customers": BLOCK_CUSTOMERS,
        },
        "units": {
            "lambda": "purchases per week",
            "alpha": "weeks",
            "theta": f"churn probability per month of {MONTH_US / 86_400e6:.6f} days",
            "money": f"{c.currency}, decimal with 2 places",
            "timestamps": "UTC",
        },
        "bgnbd": asdict(c.bgnbd),
        "gamma_gamma": asdict(c.gamma_gamma),
        "shifted_beta_geometric": asdict(c.sbg),
        "acquisition": {
            "growth_per_year": c.growth,
            "non_buyer_share": c.non_buyer_share,
            "sampling": "stratified inverse CDF: customer i of N at quantile (i + U)/N",
        },
        "seasonality": {
            "enabled": c.seasonality,
            "method": "time change: BG/NBD in operational time Λ(t) = ∫ s(u) du",
            "weekday_weights_monday_first": [round(float(w), 6) for w in weekday],
            "hour_weights_utc": [round(float(w), 6) for w in hourly],
            "yearly_cosine": {"amplitude": YEARLY_COSINE[0], "peak_day": YEARLY_COSINE[1]},
            "yearly_bumps": [
                {"height": h, "centre_day": d, "width_days": w} for h, d, w in YEARLY_BUMPS
            ],
        },
        "orders": {
            "cancel_rate": c.cancel_rate,
            "refund_rate": c.refund_rate,
            "partial_refund_rate": c.partial_refund_rate,
            "currency": c.currency,
        },
        "subscriptions": {
            "subscriber_share": c.subscriber_share,
            "plans": [
                {"plan": n, "monthly_amount": f"{m / 100:.2f}", "share": s} for n, m, s in PLANS
            ],
        },
        "surveys": {
            "survey_rate_per_purchase": c.survey_rate,
            "anonymous_share": c.anonymous_survey_share,
            "score": "round(base + span * satisfaction + drift * years + Normal(0, sd)), 0..10",
            "base": NPS_BASE,
            "span": NPS_SPAN,
            "sd": NPS_NOISE_SD,
            "drift_per_year": c.nps_drift_per_year,
        },
        "catalogue": plan.catalogue.as_records(),
        "counts": tally.as_dict(),
    }
