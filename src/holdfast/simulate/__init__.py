"""The synthetic shop: customers, orders, order lines, subscriptions and NPS answers drawn from a
documented generative process (BG/NBD purchases, gamma-gamma spend, shifted-beta-geometric
subscription churn, weekly and yearly seasonality), with the truth written beside the data.

See docs/simulate.md for the process and its formulas.
"""

from holdfast.simulate.config import BGNBD, GammaGamma, ShiftedBetaGeometric, SimulationConfig
from holdfast.simulate.files import FORMATS, Written, simulate_to, write_shop
from holdfast.simulate.run import Shop, simulate

__all__ = [
    "BGNBD",
    "FORMATS",
    "GammaGamma",
    "ShiftedBetaGeometric",
    "Shop",
    "SimulationConfig",
    "Written",
    "simulate",
    "simulate_to",
    "write_shop",
]
