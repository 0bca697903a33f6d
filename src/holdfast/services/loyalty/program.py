"""The program in force: loaded from a TOML file into the store, read back by every service.

Loading checks the whole file first (every problem listed), refuses a currency other than the
store's, and keeps each version as a row, so the ledger can always be explained by the rules
that were in force.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from holdfast.domain.loyalty_config import parse_program
from holdfast.domain.loyalty_program import Program
from holdfast.errors import UserError
from holdfast.services.database import upgrade_store
from holdfast.services.loyalty.db import Db, reading, transaction
from holdfast.store.loyalty_tables import LoyaltyProgram
from holdfast.store.tables import StoreSetting

PROGRAMS = LoyaltyProgram.__table__


@dataclass(frozen=True)
class ProgramInfo:
    """A program version in the store."""

    id: int
    name: str
    sha256: str
    loaded_at: datetime
    program: Program
    changed: bool = True


def read_program_file(path: Path) -> tuple[str, Program]:
    """The text of a program file and the program it describes (InputError when bad)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise UserError(f"cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise UserError(f"{path} is not UTF-8 text") from None
    return text, parse_program(text, str(path))


def load_program(db: Db, path: Path) -> ProgramInfo:
    """Check ``path`` and make it the program in force (nothing changes when it is the same).
    A store that does not exist yet is created, as the first import would."""
    text, program = read_program_file(path)
    if isinstance(db, str):
        upgrade_store(db)
    digest = hashlib.sha256(text.encode()).hexdigest()
    with transaction(db) as conn:
        store_currency = conn.execute(
            sa.select(StoreSetting.value).where(StoreSetting.key == "currency")
        ).scalar_one_or_none()
        if store_currency is not None and store_currency != program.currency:
            raise UserError(
                f"{path}: the program is in {program.currency}, the store keeps amounts in "
                f"{store_currency}"
            )
        if store_currency is None:
            # a new store keeps amounts in the program's currency, so imports agree with it
            conn.execute(sa.insert(StoreSetting).values(key="currency", value=program.currency))
        current = _newest(conn)
        if current is not None and current.sha256 == digest:
            return ProgramInfo(
                current.id, current.name, digest, current.loaded_at, program, changed=False
            )
        ident, loaded_at = conn.execute(
            sa.insert(PROGRAMS)
            .values(name=program.name, source=text, sha256=digest)
            .returning(PROGRAMS.c.id, PROGRAMS.c.loaded_at)
        ).one()
    return ProgramInfo(ident, program.name, digest, loaded_at, program)


def _newest(conn: sa.Connection) -> sa.Row | None:
    return conn.execute(
        sa.select(PROGRAMS.c.id, PROGRAMS.c.name, PROGRAMS.c.sha256, PROGRAMS.c.loaded_at)
        .order_by(PROGRAMS.c.id.desc())
        .limit(1)
    ).first()


def program_in(conn: sa.Connection) -> Program | None:
    """The program in force, or None before one is loaded."""
    row = conn.execute(
        sa.select(PROGRAMS.c.sha256, PROGRAMS.c.source).order_by(PROGRAMS.c.id.desc()).limit(1)
    ).first()
    return None if row is None else _parsed(row.sha256, row.source)


def require_program(conn: sa.Connection) -> Program:
    """The program in force; a UserError that says how to load one otherwise."""
    program = program_in(conn)
    if program is None:
        raise UserError("no loyalty program is loaded: run `holdfast points program FILE`")
    return program


@functools.lru_cache(maxsize=8)
def _parsed(_digest: str, source: str) -> Program:
    return parse_program(source, "stored program")


def current_program(db: Db) -> ProgramInfo | None:
    """The program in force with its version, or None."""
    with reading(db) as conn:
        row = _newest(conn)
        if row is None:
            return None
        source = conn.execute(
            sa.select(PROGRAMS.c.source).where(PROGRAMS.c.id == row.id)
        ).scalar_one()
    return ProgramInfo(row.id, row.name, row.sha256, row.loaded_at, _parsed(row.sha256, source))
