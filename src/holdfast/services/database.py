"""Creating and migrating the store, with one-line errors when it cannot be reached."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from holdfast.errors import StoreError
from holdfast.store.engine import create_store_engine, display_url, normalize_url
from holdfast.store.migrate import current_revision, upgrade


@dataclass(frozen=True)
class StoreStatus:
    """Where the store is (password hidden) and its schema revision."""

    url: str
    revision: str | None


def upgrade_store(url: str) -> StoreStatus:
    """Create the store at ``url`` or migrate it to the newest schema (idempotent)."""
    shown = display_url(normalize_url(url))
    try:
        upgrade(url)
        engine = create_store_engine(url)
        try:
            revision = current_revision(engine)
        finally:
            engine.dispose()
    except sa.exc.OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise StoreError(f"cannot open the store {shown}: {reason}") from None
    return StoreStatus(shown, revision)
