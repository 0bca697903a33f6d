"""Order lines: which products an order holds, in what quantities, adding up to its amount.

Each customer has a favourite category and a staple (a replenishable product they re-order).
An order of gross amount A gets L = 1 + Poisson(max(A/m − 1, 0)) lines (m the typical list
price, at most ten lines). Line 1 is the staple with probability 0.45, else a product of the
favourite category; later lines are the complement of line 1 (0.35), a favourite-category
product (0.35) or any product (0.30), each by popularity; repeats within an order are dropped.
Quantities fill the order: q = clip(round(A / (L · list price)), 1, 6). The amount A is then
split over the lines in proportion to q × list price (exact in cents, the rounding rest on
line 1), and the unit price is the line amount / q rounded up to the cent, so
amount = q × unit price − a discount of less than q cents. Unit prices are therefore list prices
scaled by the order's price factor (promotions, shipping and tax folded in).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from holdfast.simulate.catalogue import CATEGORIES, Catalogue

MAX_LINES = 10
MAX_QUANTITY = 6
STAPLE_SHARE = 0.45
COMPLEMENT_SHARE = 0.35
FAVOURITE_SHARE = 0.35
BUDGET_SLACK = 1.1


@dataclass(frozen=True)
class Lines:
    """Order lines of one block, sorted by order then line number."""

    order: np.ndarray  # index into the block's orders
    line_no: np.ndarray  # int32, from 1
    product: np.ndarray  # product number in the catalogue
    quantity: np.ndarray  # int32
    unit_price_cents: np.ndarray
    amount_cents: np.ndarray


def preferences(
    rng: np.random.Generator, catalogue: Catalogue, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Favourite category and staple product of ``n`` customers."""
    shares = np.array([c[4] for c in CATEGORIES])
    replenishable = np.array([c[1] for c in CATEGORIES])
    favourite = _pick(shares, rng.random(n))
    refill = np.where(replenishable, shares, 0.0)
    staple_category = np.where(replenishable[favourite], favourite, _pick(refill, rng.random(n)))
    staple = catalogue.sample_in(staple_category, rng.random(n))
    return favourite, staple


def _pick(weights: np.ndarray, u: np.ndarray) -> np.ndarray:
    cdf = np.cumsum(weights) / weights.sum()
    return np.minimum(np.searchsorted(cdf, u, side="right"), len(weights) - 1)


def typical_price(catalogue: Catalogue) -> float:
    """Popularity-weighted mean list price in cents (m above)."""
    return float((catalogue.popularity * catalogue.price_cents).sum())


def draw_lines(
    rng: np.random.Generator,
    catalogue: Catalogue,
    order_customer: np.ndarray,
    amount_cents: np.ndarray,
    favourite: np.ndarray,
    staple: np.ndarray,
) -> Lines:
    """Lines for orders (given by customer and gross amount) whose amounts sum to each order's."""
    k = len(amount_cents)
    m = typical_price(catalogue)
    mean_extra = np.clip(amount_cents / m - 1.0, 0.0, MAX_LINES - 1)
    count = np.minimum(1 + rng.poisson(mean_extra), MAX_LINES)
    order = np.repeat(np.arange(k), count)
    begin = np.cumsum(count) - count
    position = np.arange(len(order)) - begin[order]
    size = len(order)
    u_kind, u_fav = rng.random(size), rng.random(size)
    any_product = catalogue.sample(rng, size)
    customer = order_customer[order]
    fav_product = catalogue.sample_in(favourite[customer], u_fav)
    first = np.where(u_kind < STAPLE_SHARE, staple[customer], fav_product)
    first_of_order = first[begin]
    later = np.where(
        u_kind < COMPLEMENT_SHARE,
        catalogue.complement[first_of_order[order]],
        np.where(u_kind < COMPLEMENT_SHARE + FAVOURITE_SHARE, fav_product, any_product),
    )
    product = np.where(position == 0, first, later)

    price = catalogue.price_cents[product]
    spent = np.cumsum(price)
    spent -= (spent - price)[begin][order]  # list value of lines 1 … this one, per order
    affordable = (position == 0) | (spent <= BUDGET_SLACK * amount_cents[order])
    keep = affordable & _first_occurrence(order, product, len(catalogue.name))
    order, product, price = order[keep], product[keep], price[keep]
    count = np.bincount(order, minlength=k)
    begin = np.cumsum(count) - count
    line_no = (np.arange(len(order)) - begin[order] + 1).astype(np.int32)

    basket = np.bincount(order, weights=price, minlength=k)
    fill = amount_cents / basket
    quantity = np.clip(np.rint(fill), 1, MAX_QUANTITY).astype(np.int64)[order]
    amount = _split(amount_cents, order, begin, quantity * price)
    unit = -(-amount // quantity)  # ceiling division
    return Lines(
        order=order,
        line_no=line_no,
        product=product,
        quantity=quantity.astype(np.int32),
        unit_price_cents=unit,
        amount_cents=amount,
    )


def _first_occurrence(order: np.ndarray, product: np.ndarray, n_products: int) -> np.ndarray:
    """Mask keeping the first line of each (order, product) pair."""
    key = order.astype(np.int64) * n_products + product
    _, first = np.unique(key, return_index=True)
    keep = np.zeros(len(key), dtype=bool)
    keep[first] = True
    return keep


def _split(
    total: np.ndarray, order: np.ndarray, begin: np.ndarray, weight: np.ndarray
) -> np.ndarray:
    """Split each order's total (cents) over its lines in proportion to ``weight``, exactly."""
    weight_sum = np.bincount(order, weights=weight, minlength=len(total)).astype(np.int64)
    share = (total[order] * weight) // weight_sum[order]
    rest = total - np.bincount(order, weights=share, minlength=len(total)).astype(np.int64)
    share[begin[rest != 0]] += rest[rest != 0]
    return share
