"""What a simulated shop is drawn from: the settings and the model parameters, checked once.

Time units: BG/NBD rates are per **week** (as in Fader, Hardie & Lee 2005 and the CDNOW
examples); the shifted-beta-geometric churn is per **month** (1/12 of a 365.25-day year).
Every default is documented with its formula in docs/simulate.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from datetime import date

from holdfast.errors import UserError

#: Customers when neither a customer count nor an order count is given.
DEFAULT_CUSTOMERS = 10_000
#: Upper bound on the shop size (ids have 9 digits for customers).
MAX_CUSTOMERS = 999_999_999
EARLIEST = date(1971, 1, 1)
LATEST = date(2199, 12, 31)


@dataclass(frozen=True)
class BGNBD:
    """Purchase rate λ ~ Gamma(r, α) per week; dropout p ~ Beta(a, b) after each repeat purchase."""

    r: float = 0.5
    alpha: float = 8.0
    a: float = 0.8
    b: float = 3.0


@dataclass(frozen=True)
class GammaGamma:
    """Spend per order z ~ Gamma(p, ν) with ν ~ Gamma(q, γ) per customer (shape, rate)."""

    p: float = 6.0
    q: float = 4.0
    gamma: float = 30.0


@dataclass(frozen=True)
class ShiftedBetaGeometric:
    """Monthly churn probability θ ~ Beta(alpha, beta) per subscriber (Fader & Hardie 2007)."""

    alpha: float = 0.668
    beta: float = 3.806


@dataclass(frozen=True)
class SimulationConfig:
    """Everything that determines a synthetic shop; equal configs give equal shops.

    ``customers`` or ``orders`` (a target order count that picks the number of customers) sets
    the size; with neither, :data:`DEFAULT_CUSTOMERS`. ``end`` is inclusive: the period is
    [start 00:00 UTC, end + 1 day 00:00 UTC).
    """

    customers: int | None = None
    orders: int | None = None
    start: date = date(2023, 1, 1)
    end: date = date(2025, 12, 31)
    seed: int = 42
    seasonality: bool = True
    bgnbd: BGNBD = field(default_factory=BGNBD)
    gamma_gamma: GammaGamma = field(default_factory=GammaGamma)
    sbg: ShiftedBetaGeometric = field(default_factory=ShiftedBetaGeometric)
    growth: float = 0.3
    non_buyer_share: float = 0.05
    cancel_rate: float = 0.02
    refund_rate: float = 0.01
    partial_refund_rate: float = 0.03
    subscriber_share: float = 0.10
    survey_rate: float = 0.08
    anonymous_survey_share: float = 0.05
    nps_drift_per_year: float = -0.3
    products: int = 200
    currency: str = "USD"

    def __post_init__(self) -> None:
        problems = list(_problems(self))
        if problems:
            raise UserError("invalid simulation settings: " + "; ".join(problems))


def _problems(c: SimulationConfig) -> list[str]:
    out: list[str] = []
    for name in ("customers", "orders"):
        value = getattr(c, name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            out.append(f"{name} must be a whole number, got {value!r}")
        elif value is not None and value < 0:
            out.append(f"{name} must be 0 or more, got {value}")
    if c.customers is not None and c.orders is not None:
        out.append("give either customers or orders, not both")
    if c.customers is not None and isinstance(c.customers, int) and c.customers > MAX_CUSTOMERS:
        out.append(f"customers must be at most {MAX_CUSTOMERS:,}")
    if not isinstance(c.start, date) or not isinstance(c.end, date):
        out.append("start and end must be dates")
    else:
        if c.end < c.start:
            out.append(f"end {c.end.isoformat()} is before start {c.start.isoformat()}")
        if c.start < EARLIEST or c.end > LATEST:
            out.append(f"the period must lie between {EARLIEST} and {LATEST}")
    if isinstance(c.seed, bool) or not isinstance(c.seed, int) or c.seed < 0:
        out.append(f"seed must be a whole number ≥ 0, got {c.seed!r}")
    for group in ("bgnbd", "gamma_gamma", "sbg"):
        params = getattr(c, group)
        for f in fields(params):
            value = getattr(params, f.name)
            if not _positive(value):
                out.append(f"{group}.{f.name} must be a positive number, got {value!r}")
    if not _finite(c.growth) or abs(c.growth) > 5:
        out.append(f"growth must be a number between -5 and 5 per year, got {c.growth!r}")
    if not _finite(c.nps_drift_per_year):
        out.append(f"nps_drift_per_year must be a number, got {c.nps_drift_per_year!r}")
    for name in (
        "non_buyer_share",
        "cancel_rate",
        "refund_rate",
        "partial_refund_rate",
        "subscriber_share",
        "survey_rate",
        "anonymous_survey_share",
    ):
        value = getattr(c, name)
        if not _finite(value) or not 0 <= value <= 1:
            out.append(f"{name} must be a share between 0 and 1, got {value!r}")
    if _finite(c.cancel_rate) and _finite(c.refund_rate) and c.cancel_rate + c.refund_rate > 1:
        out.append("cancel_rate + refund_rate must be at most 1")
    if isinstance(c.products, bool) or not isinstance(c.products, int) or c.products < 8:
        out.append(f"products must be a whole number ≥ 8 (one per category), got {c.products!r}")
    elif c.products > 99_999:
        out.append("products must be at most 99,999")
    if not (isinstance(c.currency, str) and len(c.currency) == 3 and c.currency.isalpha()):
        out.append(f"currency must be a 3-letter ISO 4217 code, got {c.currency!r}")
    return out


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _positive(value: object) -> bool:
    return _finite(value) and value > 0  # type: ignore[operator]
