"""Small simulated shops shared by the simulator tests (drawn once per session)."""

from __future__ import annotations

import pytest

from holdfast.simulate import Shop, SimulationConfig, simulate


@pytest.fixture(scope="session")
def shop() -> Shop:
    """A seasonal shop of 3,000 customers over the default three years."""
    return simulate(SimulationConfig(customers=3_000, seed=7))


@pytest.fixture(scope="session")
def pure_shop() -> Shop:
    """A shop without seasonality (exactly BG/NBD purchases), big enough to fit models on."""
    return simulate(SimulationConfig(customers=8_000, seed=11, seasonality=False))
