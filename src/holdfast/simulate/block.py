"""One block of customers, drawn from its own random streams.

Blocks have a fixed size (:data:`BLOCK_CUSTOMERS`), and block b draws from
``SeedSequence(seed, spawn_key=(BLOCKS_KEY, b, part))`` (the same generators
``SeedSequence(seed).spawn`` would give), one stream per part (latent traits, purchases,
orders, baskets, people, subscriptions, surveys). So a shop is the same whatever chunk size
the writer uses, and changing e.g. the survey rate leaves the orders as they were.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from holdfast.simulate.baskets import Lines, draw_lines, preferences
from holdfast.simulate.catalogue import Catalogue
from holdfast.simulate.clock import US_PER_DAY, US_PER_SECOND, Clock
from holdfast.simulate.config import SimulationConfig
from holdfast.simulate.extras import (
    Subscriptions,
    Surveys,
    draw_subscriptions,
    draw_surveys,
    satisfaction,
)
from holdfast.simulate.people import customer_details
from holdfast.simulate.purchases import (
    COMPLETED,
    Latent,
    Orders,
    Purchases,
    draw_latent,
    draw_orders,
    draw_purchases,
)

BLOCK_CUSTOMERS = 10_000
CATALOGUE_KEY, BLOCKS_KEY = 0, 1
LATENT, PURCHASES, ORDERS, BASKETS, PEOPLE, SUBSCRIPTIONS, SURVEYS = range(7)
SIGNUP_AT_CHECKOUT = 0.7  # share who sign up minutes before their first order
SIGNUP_LEAD_MEAN_DAYS = 14.0


def stream(seed: int, *key: int) -> np.random.Generator:
    """The generator for one part of the shop (a child of SeedSequence(seed))."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


@dataclass(frozen=True)
class Block:
    """Everything drawn for customers ``first`` … ``first + n − 1`` (0-based)."""

    first: int
    latent: Latent
    purchases: Purchases
    orders: Orders
    lines: Lines
    signup_us: np.ndarray
    details: dict[str, pa.Array]
    satisfaction: np.ndarray
    subscriptions: Subscriptions
    surveys: Surveys

    @property
    def size(self) -> int:
        """Number of customers in the block."""
        return len(self.latent.lam)


def draw_block(
    config: SimulationConfig, catalogue: Catalogue, clock: Clock, total: int, index: int
) -> Block:
    """Draw block ``index`` of a shop with ``total`` customers."""
    first = index * BLOCK_CUSTOMERS
    n = min(BLOCK_CUSTOMERS, total - first)

    def rng(part: int) -> np.random.Generator:
        return stream(config.seed, BLOCKS_KEY, index, part)

    latent = draw_latent(rng(LATENT), config, first, n, total, clock)
    purchases = draw_purchases(rng(PURCHASES), latent, clock)
    orders = draw_orders(rng(ORDERS), config, latent, purchases, clock)
    baskets = rng(BASKETS)
    favourite, staple = preferences(baskets, catalogue, n)
    lines = draw_lines(baskets, catalogue, orders.customer, orders.amount_cents, favourite, staple)
    people = rng(PEOPLE)
    signup_us = _signups(people, latent.acquired_us)
    details = customer_details(people, first + 1 + np.arange(n), clock.start_us // US_PER_DAY)
    satisfied = satisfaction(latent.p, config.bgnbd.a, config.bgnbd.b)
    subscriptions = draw_subscriptions(
        rng(SUBSCRIPTIONS), latent.subscriber, latent.theta, latent.acquired_us, clock.end_us
    )
    completed = orders.status == COMPLETED
    surveys = draw_surveys(
        rng(SURVEYS),
        config,
        orders.customer[completed],
        orders.time_us[completed],
        satisfied,
        clock.start_us,
        clock.end_us,
    )
    return Block(
        first, latent, purchases, orders, lines, signup_us, details, satisfied, subscriptions,
        surveys,
    )  # fmt: skip


def _signups(rng: np.random.Generator, acquired_us: np.ndarray) -> np.ndarray:
    """Sign-up shortly before the first order (at checkout) or days earlier (an account first)."""
    n = len(acquired_us)
    at_checkout = rng.random(n) < SIGNUP_AT_CHECKOUT
    minutes = rng.uniform(1.0, 10.0, n) * 60 * US_PER_SECOND
    days = rng.exponential(SIGNUP_LEAD_MEAN_DAYS, n) * US_PER_DAY
    lead = np.where(at_checkout, minutes, days).astype(np.int64)
    signup = acquired_us - lead
    return signup - signup % US_PER_SECOND
