"""Test shops for the analytics tests: orders from compact rows, loaded into a backend, and a
seeded random shop with same-day orders, tied spend and long gaps."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa

from holdfast.analytics.calendar import day_number
from holdfast.analytics.orders import purchases

#: (customer, "YYYY-MM-DD[ HH:MM]", amount)
Row = tuple[str, str, float]

#: (grain, first, as_of) over :func:`random_rows` for the per-period oracle tests; the daily
#: one is short because its oracles loop over every period.
SCOPES = [
    ("day", dt.date(2020, 3, 1), dt.date(2020, 4, 20)),
    ("day", dt.date(2020, 1, 10), dt.date(2020, 4, 20)),  # more periods than a bit mask holds
    ("week", dt.date(2019, 12, 20), dt.date(2021, 2, 3)),
    ("month", dt.date(2019, 12, 20), dt.date(2022, 6, 10)),
    ("quarter", dt.date(2020, 2, 1), dt.date(2021, 11, 30)),
    ("year", dt.date(2019, 12, 20), dt.date(2022, 6, 10)),
]


def to_orders(rows: list[Row]) -> pa.Table:
    """Canonical orders (naive UTC timestamps) from compact rows."""
    frame = pd.DataFrame(rows, columns=["customer_id", "ordered_at", "amount"])
    return pa.table(
        {
            "customer_id": pa.array(frame.customer_id.tolist(), pa.string()),
            "order_id": pa.array([f"o{i}" for i in range(len(rows))], pa.string()),
            "ordered_at": pa.array(
                pd.to_datetime(frame.ordered_at, format="ISO8601"), pa.timestamp("us")
            ),
            "amount": pa.array(frame.amount.astype(float).tolist(), pa.float64()),
        }
    )


def load(backend: ibis.BaseBackend, rows: list[Row]) -> ir.Table:
    """The purchases relation of ``rows`` stored in ``backend`` (UTC)."""
    return purchases(backend.create_table("orders", to_orders(rows), overwrite=True))


def frame(rows: list[Row]) -> pd.DataFrame:
    """The same purchases for the oracles: customer_id, order_date, order_day, amount."""
    out = pd.DataFrame(rows, columns=["customer_id", "ordered_at", "amount"])
    out["order_date"] = [dt.date.fromisoformat(s[:10]) for s in out.ordered_at]
    out["order_day"] = [day_number(d) for d in out.order_date]
    out["amount"] = out.amount.astype(float)
    return out.drop(columns="ordered_at")


def run(expr: ir.Table) -> pd.DataFrame:
    """Execute an expression (the tests are the only place that does)."""
    return expr.to_pyarrow().to_pandas()


def random_rows(seed: int, customers: int = 80) -> list[Row]:
    """A shop over about two and a half years: most customers buy once or a few times, some
    buy twice a day, some come back after more than a year; amounts repeat so spend ties."""
    rng = np.random.default_rng(seed)
    start = dt.datetime(2019, 12, 20, 9, 0)
    rows: list[Row] = []
    for c in range(customers):
        day = int(rng.integers(0, 700))
        while day < 900:
            at = start + dt.timedelta(days=day, minutes=int(rng.integers(0, 600)))
            amount = float(rng.choice([5.0, 12.5, 20.0, 49.99, 120.0]))
            rows.append((f"c{c:03d}", at.isoformat(sep=" ", timespec="minutes"), amount))
            if rng.random() < 0.1:
                rows.append((f"c{c:03d}", (at + dt.timedelta(hours=1)).isoformat(" "), 7.0))
            day += int(rng.geometric(1 / 40)) + int(rng.random() < 0.15) * 400
    return rows
