"""Alembic environment: holdfast's metadata, batch mode on SQLite, type comparison on."""

from __future__ import annotations

from alembic import context

from holdfast.store import models_registry  # noqa: F401  (imports every table module)
from holdfast.store.base import Base
from holdfast.store.engine import create_store_engine
from holdfast.store.score_tables import is_score_partition

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run migrations on a live connection (the only mode holdfast uses)."""
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = create_store_engine(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def _not_a_partition(name, type_, parent_names) -> bool:  # type: ignore[no-untyped-def]
    """Leave the per-run partitions of customer_scores out of autogenerate and ``check``."""
    return not (type_ == "table" and is_score_partition(name))


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=_not_a_partition,
    )
    with context.begin_transaction():
        context.run_migrations()
    if connection.in_transaction():
        connection.commit()


run_migrations_online()
