"""Helpers for the loyalty tests: seed the store and check the ledger with plain SQL.

The ledger checks read the tables directly, never through the services under test.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner, Result

from holdfast.cli import app
from holdfast.services import loyalty

runner = CliRunner()


def run(*args: str | Path) -> Result:
    """``holdfast *args`` in-process."""
    return runner.invoke(app, [str(a) for a in args])


def use_program(url: str, text: str, directory: Path) -> None:
    """Write ``text`` as a program file in ``directory`` and put it in force in the store."""
    path = directory / "program.toml"
    path.write_text(text)
    loyalty.load_program(url, path)


def rows(url: str, query: str, **params: object) -> list[tuple]:
    """Rows of a plain SQL query against the store."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(query), params).all()]
    finally:
        engine.dispose()


def scalar(url: str, query: str, **params: object) -> object:
    """The one value of a plain SQL query."""
    return rows(url, query, **params)[0][0]


def add_customers(url: str, ids: Sequence[str], **columns: Sequence[object]) -> None:
    """Insert customers by the shop's ids (plus optional columns, one value per customer)."""
    engine = sa.create_engine(url)
    names = ["external_id", *columns]
    values = [
        {"external_id": c, **{k: v[i] for k, v in columns.items()}} for i, c in enumerate(ids)
    ]
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    f"INSERT INTO customers ({', '.join(names)}) "
                    f"VALUES ({', '.join(':' + n for n in names)})"
                ),
                values,
            )
    finally:
        engine.dispose()


def add_order(
    url: str,
    order: str,
    customer: str,
    amount_minor: int,
    at: datetime,
    *,
    status: str = "completed",
    refunded_minor: int = 0,
    lines: Sequence[tuple[str, int]] = (),
) -> None:
    """Insert one order (and its lines as (category, amount)) for an existing customer."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO orders (external_id, customer_id, ordered_at, amount_minor, "
                    "refunded_minor, status) SELECT :o, id, :t, :a, :r, :s FROM customers "
                    "WHERE external_id = :c"
                ),
                {
                    "o": order,
                    "c": customer,
                    "t": at,
                    "a": amount_minor,
                    "r": refunded_minor,
                    "s": status,
                },
            )
            for i, (category, amount) in enumerate(lines, start=1):
                conn.execute(
                    sa.text(
                        "INSERT INTO order_lines (order_id, line_no, product_id, category, "
                        "amount_minor) SELECT id, :n, :p, :cat, :a FROM orders "
                        "WHERE external_id = :o"
                    ),
                    {"o": order, "n": i, "p": f"p{i}", "cat": category, "a": amount},
                )
    finally:
        engine.dispose()


def update_order(url: str, order: str, **values: object) -> None:
    """Change an order's columns (a refund or cancellation arriving by re-import)."""
    sets = ", ".join(f"{k} = :{k}" for k in values)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    f"UPDATE orders SET {sets}, updated_at = CURRENT_TIMESTAMP "
                    "WHERE external_id = :order"
                ),
                {"order": order, **values},
            )
    finally:
        engine.dispose()


def balances(url: str) -> dict[str, int]:
    """Every account's balance by the shop's customer id."""
    return dict(
        rows(
            url,
            "SELECT c.external_id, a.balance FROM loyalty_accounts a "
            "JOIN customers c ON c.id = a.customer_id",
        )
    )


def ledger_problems(url: str) -> list[str]:
    """Every broken ledger invariant, as readable lines (empty when the ledger is sound).

    balance = sum of entries >= 0; lots: remaining = points - allocations, within [0, points];
    sum of lots' remaining = balance; credits open a lot of their size; debits allocate exactly
    their size; each key has one entry at most and a stored result.
    """
    checks = {
        "balance differs from the sum of entries": (
            "SELECT a.customer_id, a.balance, COALESCE(SUM(e.points), 0) FROM loyalty_accounts a "
            "LEFT JOIN loyalty_entries e ON e.customer_id = a.customer_id "
            "GROUP BY a.customer_id, a.balance HAVING a.balance <> COALESCE(SUM(e.points), 0)"
        ),
        "negative balance": "SELECT customer_id, balance FROM loyalty_accounts WHERE balance < 0",
        "lot remaining differs from points minus allocations": (
            "SELECT l.entry_id, l.remaining, l.points - COALESCE(SUM(x.points), 0) "
            "FROM loyalty_lots l LEFT JOIN loyalty_allocations x ON x.lot_id = l.entry_id "
            "GROUP BY l.entry_id, l.remaining, l.points "
            "HAVING l.remaining <> l.points - COALESCE(SUM(x.points), 0)"
        ),
        "lot outside [0, points]": (
            "SELECT entry_id, remaining FROM loyalty_lots WHERE remaining < 0 OR remaining > points"
        ),
        "unspent lots differ from the balance": (
            "SELECT a.customer_id, a.balance, COALESCE(SUM(l.remaining), 0) "
            "FROM loyalty_accounts a LEFT JOIN loyalty_lots l ON l.customer_id = a.customer_id "
            "GROUP BY a.customer_id, a.balance HAVING a.balance <> COALESCE(SUM(l.remaining), 0)"
        ),
        "credit without its lot": (
            "SELECT e.id FROM loyalty_entries e LEFT JOIN loyalty_lots l ON l.entry_id = e.id "
            "WHERE e.points > 0 AND (l.entry_id IS NULL OR l.points <> e.points) "
            "AND NOT EXISTS (SELECT 1 FROM loyalty_allocations x WHERE x.entry_id = e.id)"
        ),
        "debit not fully allocated": (
            "SELECT e.id, e.points, COALESCE(SUM(x.points), 0) FROM loyalty_entries e "
            "LEFT JOIN loyalty_allocations x ON x.entry_id = e.id WHERE e.points < 0 "
            "GROUP BY e.id, e.points HAVING -e.points <> COALESCE(SUM(x.points), 0)"
        ),
        "key without a stored result": ("SELECT key FROM loyalty_requests WHERE result IS NULL"),
    }
    found = []
    for name, query in checks.items():
        for row in rows(url, query):
            found.append(f"{name}: {row}")
    return found
