"""The product catalogue of the synthetic shop: a coffee-and-tea shop with eight categories.

Products have an id, a name, a category, a list price, a popularity (Zipf within the
category) and one complement in a partner category (beans → a grinder, a teapot → tea), so
basket analysis finds real rules. Replenishable categories (coffee, tea, snacks, care) are
what customers re-order as their staple.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# name, replenishable, list price range (whole currency units), popularity, complement category
CATEGORIES: tuple[tuple[str, bool, float, float, float, str], ...] = (
    ("Coffee", True, 7.0, 24.0, 0.24, "Brewing"),
    ("Tea", True, 4.0, 16.0, 0.14, "Kitchen"),
    ("Snacks", True, 2.0, 9.0, 0.16, "Coffee"),
    ("Personal care", True, 4.0, 22.0, 0.10, "Gifts"),
    ("Brewing", False, 12.0, 180.0, 0.10, "Coffee"),
    ("Kitchen", False, 6.0, 45.0, 0.10, "Tea"),
    ("Gifts", False, 15.0, 90.0, 0.06, "Snacks"),
    ("Books", False, 9.0, 40.0, 0.10, "Brewing"),
)
NOUNS: dict[str, tuple[str, ...]] = {
    "Coffee": ("Coffee Beans", "Ground Coffee", "Espresso Beans", "Coffee Capsules", "Decaf Beans"),
    "Tea": ("Green Tea", "Black Tea", "Herbal Tea", "Chai Blend", "Matcha", "Rooibos"),
    "Snacks": ("Dark Chocolate", "Almond Biscotti", "Granola", "Shortbread", "Oat Cookies"),
    "Personal care": ("Hand Soap", "Shampoo Bar", "Body Lotion", "Lip Balm", "Bath Salts"),
    "Brewing": (
        "Pour-Over Dripper",
        "French Press",
        "Burr Grinder",
        "Gooseneck Kettle",
        "Moka Pot",
    ),
    "Kitchen": ("Mug", "Travel Cup", "Teapot", "Milk Jug", "Storage Tin", "Coaster Set"),
    "Gifts": ("Gift Box", "Tasting Set", "Advent Calendar", "Hamper", "Sampler"),
    "Books": ("Brewing Guide", "Cookbook", "Travel Journal", "Notebook", "Tea Atlas"),
}
ADJECTIVES = (
    "Highland", "Classic", "Organic", "Morning", "Velvet", "Nordic", "Sunrise", "Heritage",
    "Wild", "Golden", "Harbor", "Alpine", "Smoky", "Bright", "Midnight", "Rustic", "Coastal",
    "Urban", "Little", "Grand",
)  # fmt: skip
ZIPF_EXPONENT = 0.8


@dataclass(frozen=True)
class Catalogue:
    """Products sorted by category; arrays are indexed by product number 0 … n−1."""

    product_id: list[str]
    name: list[str]
    category_index: np.ndarray  # int64, index into CATEGORIES
    price_cents: np.ndarray  # int64 list price
    popularity: np.ndarray  # float64, sums to 1 over the catalogue
    complement: np.ndarray  # int64 product number of the complement
    # sampling helpers
    global_cdf: np.ndarray  # cumulative popularity over the catalogue
    within_key: np.ndarray  # category_index + cumulative share within the category

    @property
    def categories(self) -> list[str]:
        """Category names, by category index."""
        return [c[0] for c in CATEGORIES]

    @property
    def replenishable(self) -> np.ndarray:
        """Whether each product is re-ordered as a staple."""
        flags = np.array([c[1] for c in CATEGORIES])
        return flags[self.category_index]

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Product numbers drawn by popularity over the whole catalogue."""
        u = rng.random(size)
        return np.minimum(np.searchsorted(self.global_cdf, u, side="right"), len(self.name) - 1)

    def sample_in(self, category: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Product numbers drawn by popularity within each given category, from uniforms ``u``."""
        key = category + np.minimum(u, 1.0 - 1e-12)
        return np.searchsorted(self.within_key, key, side="right")

    def as_records(self) -> list[dict[str, object]]:
        """The catalogue as JSON-ready rows (for truth.json)."""
        names = self.categories
        return [
            {
                "product_id": self.product_id[i],
                "name": self.name[i],
                "category": names[int(self.category_index[i])],
                "price": f"{self.price_cents[i] / 100:.2f}",
                "replenishable": bool(self.replenishable[i]),
                "popularity": round(float(self.popularity[i]), 6),
                "complement": self.product_id[int(self.complement[i])],
            }
            for i in range(len(self.name))
        ]


def build_catalogue(rng: np.random.Generator, products: int) -> Catalogue:
    """Draw a catalogue of ``products`` items spread evenly over the eight categories."""
    n_cat = len(CATEGORIES)
    per_cat = np.full(n_cat, products // n_cat)
    per_cat[: products % n_cat] += 1
    names: list[str] = []
    cat_idx: list[int] = []
    prices: list[np.ndarray] = []
    pops: list[np.ndarray] = []
    for c, (category, _, lo, hi, share, _) in enumerate(CATEGORIES):
        k = int(per_cat[c])
        nouns = NOUNS[category]
        combos = len(nouns) * len(ADJECTIVES)
        picks = rng.choice(combos, size=k, replace=k > combos)
        for j, pick in enumerate(picks):
            noun, adjective = nouns[pick % len(nouns)], ADJECTIVES[pick // len(nouns)]
            suffix = f" No. {j + 1}" if k > combos else ""
            names.append(f"{adjective} {noun}{suffix}")
        cat_idx += [c] * k
        price = np.exp(rng.uniform(np.log(lo), np.log(hi), k))
        prices.append(np.maximum(np.round(price) * 100 - 1, 49).astype(np.int64))  # x.99
        weights = 1.0 / (rng.permutation(k) + 1.0) ** ZIPF_EXPONENT
        pops.append(share * weights / weights.sum())
    category_index = np.array(cat_idx, dtype=np.int64)
    popularity = np.concatenate(pops)
    popularity /= popularity.sum()
    within = np.concatenate([np.cumsum(p) / p.sum() for p in pops])
    within_key = category_index + np.minimum(within, 1.0)
    within_key[np.r_[np.flatnonzero(np.diff(category_index)), len(within) - 1]] = (
        np.unique(category_index) + 1.0
    )
    complement = np.empty(len(names), dtype=np.int64)
    cat_names = [c[0] for c in CATEGORIES]
    for c, (*_, partner) in enumerate(CATEGORIES):
        members = np.flatnonzero(category_index == c)
        target = cat_names.index(partner)
        key = target + rng.random(len(members))
        complement[members] = np.searchsorted(within_key, key, side="right")
    return Catalogue(
        product_id=[f"P{i + 1:05d}" for i in range(len(names))],
        name=names,
        category_index=category_index,
        price_cents=np.concatenate(prices),
        popularity=popularity,
        complement=complement,
        global_cdf=np.cumsum(popularity),
        within_key=within_key,
    )
