"""The one exception tree of holdfast.

::

    HoldfastError                 anything holdfast raises on purpose
    ├── UserError                 the caller asked for something impossible (bad flag, bad setting)
    │   ├── InputError            a file or payload has bad rows; carries every Problem found
    │   └── NotFound              a customer, coupon, file ... does not exist
    ├── Refused                   a business rule said no (coupon used, too few points)
    └── StoreError                the database is unreachable or not migrated

Exit codes (CLI) are mapped in one place: :data:`EXIT_CODES`. HTTP codes live beside the API.
Statistical trouble in models is a warning (:class:`FitWarning`), never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One bad value: where it is and why it is refused."""

    reason: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    value: object = None

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        head = ", ".join(where)
        value = "" if self.value is None else f" value {self.value!r}:"
        return f"{head}:{value} {self.reason}" if head else f"{value} {self.reason}".strip()


class HoldfastError(Exception):
    """Base of every error holdfast raises on purpose."""


class UserError(HoldfastError):
    """The request cannot be done as asked; the message says what to change."""


class InputError(UserError):
    """Input data has bad values; ``problems`` lists them all (up to a limit)."""

    def __init__(
        self, message: str, problems: list[Problem] | None = None, total: int | None = None
    ):
        self.problems = list(problems or [])
        self.total = total if total is not None else len(self.problems)
        super().__init__(message)

    def __str__(self) -> str:
        lines = [self.args[0]]
        lines += [f"  {p}" for p in self.problems]
        if self.total > len(self.problems):
            lines.append(f"  ... and {self.total - len(self.problems)} more")
        return "\n".join(lines)


class NotFound(UserError):
    """Something named by the caller does not exist."""


class Refused(HoldfastError):
    """A business rule refused the operation (the message is one line for the user)."""

    exit_code = 10


class StoreError(HoldfastError):
    """The store cannot be used: unreachable, not migrated, or locked."""


class FitWarning(UserWarning):
    """A model fit that should not be trusted as it stands; the message says why."""


#: CLI exit codes, from the most specific class to the most general.
EXIT_CODES: list[tuple[type[HoldfastError], int]] = [
    (InputError, 3),
    (NotFound, 4),
    (UserError, 2),
    (StoreError, 6),
    (Refused, 10),
    (HoldfastError, 1),
]


def exit_code_for(error: HoldfastError) -> int:
    """The process exit code for an error (a Refused subclass may carry its own)."""
    if isinstance(error, Refused):
        return getattr(error, "exit_code", 10)
    for cls, code in EXIT_CODES:
        if isinstance(error, cls):
            return code
    return 1
