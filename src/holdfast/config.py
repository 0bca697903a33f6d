"""Settings, read from the environment (``HOLDFAST_`` prefix) when an entry point asks."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///holdfast.db"


class Settings(BaseSettings):
    """Everything an operator may set; built by entry points, never at import time."""

    model_config = SettingsConfigDict(env_prefix="HOLDFAST_", extra="ignore")

    database_url: str = Field(DEFAULT_DATABASE_URL, description="SQLAlchemy URL of the store")
    timezone: str = Field("UTC", description="business time zone for period boundaries")
    active_window_days: int = Field(365, ge=1, description="activity window W in days")
    currency: str = Field("USD", description="ISO 4217 code of amounts without a currency")


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (e.g. CLI flags) on top."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)
