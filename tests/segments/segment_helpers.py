"""Small shops for the segment tests: purchases and order lines from compact rows."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

#: (customer, "YYYY-MM-DD", amount)
Row = tuple[str, str, float]


def purchases_of(backend: ibis.BaseBackend, rows: list[Row], name: str = "p") -> ir.Table:
    """A purchases relation (customer_id, order_date, amount) stored in ``backend``."""
    table = pa.table(
        {
            "customer_id": pa.array([r[0] for r in rows], pa.string()),
            "order_date": pa.array(pd.to_datetime([r[1] for r in rows]).date, pa.date32()),
            "amount": pa.array([float(r[2]) for r in rows], pa.float64()),
        }
    )
    return backend.create_table(name, table, overwrite=True)


def lines_of(backend: ibis.BaseBackend, baskets: dict[str, list[str]], name: str = "l") -> ir.Table:
    """Order lines (order_id, product_id) of baskets {order: [products]}."""
    orders = [o for o, items in baskets.items() for _ in items]
    products = [p for items in baskets.values() for p in items]
    table = pa.table({"order_id": pa.array(orders, pa.string()), "product_id": products})
    return backend.create_table(name, table, overwrite=True)


def run(expr: ir.Table, key: str | list[str] = "customer_id") -> pd.DataFrame:
    """Execute and sort by ``key``."""
    return expr.to_pyarrow().to_pandas().sort_values(key).reset_index(drop=True)


def write_orders_csv(path, rows: list[Row]) -> None:
    """An orders export (order_id, customer_id, ordered_at, amount) of compact rows."""
    lines = ["order_id,customer_id,ordered_at,amount"]
    lines += [f"o{i},{c},{d},{a:.2f}" for i, (c, d, a) in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_lines_csv(path, lines: list[tuple[str, str, float]]) -> None:
    """An order-lines export (order_id, product_id, amount)."""
    text = ["order_id,product_id,amount"] + [f"{o},{p},{a:.2f}" for o, p, a in lines]
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
