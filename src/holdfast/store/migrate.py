"""Alembic migrations, run from code: ``upgrade(url)`` brings a store to the latest schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from holdfast.store.engine import create_store_engine, display_url, normalize_url

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    """An Alembic Config pointing at holdfast's migrations and the given store."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option(
        "sqlalchemy.url",
        normalize_url(url).render_as_string(hide_password=False).replace("%", "%%"),
    )
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Create or migrate the store at ``url`` to ``revision`` (idempotent)."""
    command.upgrade(alembic_config(url), revision)


def current_revision(engine: Engine) -> str | None:
    """The store's schema revision, or None for an empty database."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    """The newest revision holdfast ships."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def is_current(url: str) -> bool:
    """True when the store exists and is at the newest schema."""
    engine = create_store_engine(url)
    try:
        return current_revision(engine) == head_revision()
    finally:
        engine.dispose()


__all__ = ["alembic_config", "current_revision", "display_url", "head_revision", "upgrade"]
