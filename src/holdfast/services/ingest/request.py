"""What an import is asked to do, what it reports back, and how it tells progress."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from holdfast.services.readers.issues import plural
from holdfast.services.readers.source import ReadSettings

if TYPE_CHECKING:
    from holdfast.services.loyalty.orders import OrderPointsSummary


@dataclass(frozen=True)
class ImportRequest:
    """One ``holdfast import``: the kind, the file, how to read it and what to do with bad rows.

    ``columns`` maps flag names (``customer``, ``order``, ``date``, ``amount`` …) to the
    file's column names; unmapped columns are found by name. ``timezone`` and ``currency``
    left at None take the settings' zone and the store's currency.
    """

    kind: str
    path: Path
    read: ReadSettings = field(default_factory=ReadSettings)
    columns: dict[str, str] = field(default_factory=dict)
    timezone: str | None = None
    date_format: str | None = None
    decimal_comma: bool = False
    currency: str | None = None
    cancel_prefix: str | None = None
    rejects: Path | None = None
    max_errors: int = 50
    dry_run: bool = False


@dataclass(frozen=True)
class ImportSummary:
    """What an import did; ``line()`` is the one-line summary the CLI prints."""

    kind: str
    file: str
    rows_read: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    customers_created: int = 0
    dry_run: bool = False
    seconds: float = 0.0
    run_id: int | None = None
    rejects_file: Path | None = None
    #: Loyalty points the imported orders earned (None: no program loaded, or not orders).
    points: OrderPointsSummary | None = None

    def line(self) -> str:
        """``orders: read 6,919 rows; inserted 6,919, updated 0, unchanged 0, rejected 0``."""
        text = (
            f"{self.kind}: read {plural(self.rows_read, 'row')}; inserted {self.inserted:,}, "
            f"updated {self.updated:,}, unchanged {self.unchanged:,}, rejected {self.rejected:,}"
        )
        if self.customers_created:
            text += f"; {plural(self.customers_created, 'new customer')}"
        text += f" ({self.seconds:.1f} s)"
        if self.dry_run:
            text += " — dry run, nothing was written"
        return text


class Observer(Protocol):
    """Receives notes (how the file was read and mapped) and progress while rows load."""

    def note(self, text: str) -> None:
        """A line of information for the user."""

    def start(self, phase: str, total: int) -> None:
        """A phase with ``total`` units of work begins."""

    def advance(self, done: int) -> None:
        """``done`` more units of the current phase are finished."""


class Quiet:
    """An observer that ignores everything (library use, tests)."""

    def note(self, text: str) -> None:
        """Ignore a note."""

    def start(self, phase: str, total: int) -> None:
        """Ignore a phase."""

    def advance(self, done: int) -> None:
        """Ignore progress."""
