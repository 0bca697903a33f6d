"""From canonical orders to purchases: completed, net of refunds, dated in the business zone.

Input: an Ibis table with the canonical order columns (docs/data-model.md) ``customer_id``,
``order_id``, ``ordered_at`` (naive UTC timestamp), ``amount``, and optionally ``refunded``
and ``status``. Output, the relation every other analytics function reads:

    customer_id | order_id | ordered_at          | order_day | order_date | amount
    ------------+----------+---------------------+-----------+------------+-------
    c1          | o1       | 1997-01-01 10:00:00 |      9862 | 1997-01-01 |  29.33

``order_day`` is the local day number (days since 1970-01-01 in the business time zone) and
``order_date`` the same day as a date; ``amount`` is the net amount as a float. Cancelled,
fully refunded and zero-value orders are not purchases (DESIGN.md).
"""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import ibis
import ibis.expr.types as ir
import pandas as pd

from holdfast.analytics.calendar import EPOCH, day_number, from_day_number
from holdfast.errors import UserError

UTC_NAMES = {"UTC", "Etc/UTC", "GMT", "Etc/GMT", "Z"}
_EPOCH_DT = dt.datetime(1970, 1, 1)


def zone(name: str) -> ZoneInfo:
    """The IANA time zone, or a UserError."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(
            f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin"
        ) from None


def _offset_seconds(tz: ZoneInfo, utc_seconds: int) -> int:
    moment = dt.datetime.fromtimestamp(utc_seconds, dt.UTC)
    return int(moment.astimezone(tz).utcoffset().total_seconds())


def offset_changes(name: str, start: dt.datetime, end: dt.datetime) -> list[tuple[int, int]]:
    """(UTC epoch second from which it holds, offset in seconds) for the zone over a span.

    The first entry holds from ``start``; each later one marks a transition (DST or a change
    of the zone's rules), found by a daily scan and a binary search to the second.
    """
    tz = zone(name)
    lo = int((start - _EPOCH_DT).total_seconds()) - 86_400
    hi = int((end - _EPOCH_DT).total_seconds()) + 86_400
    changes = [(lo, _offset_seconds(tz, lo))]
    previous = changes[0][1]
    for t in range(lo + 86_400, hi + 86_400, 86_400):
        current = _offset_seconds(tz, t)
        if current == previous:
            continue
        a, b = t - 86_400, t
        while b - a > 1:
            mid = (a + b) // 2
            if _offset_seconds(tz, mid) == previous:
                a = mid
            else:
                b = mid
        changes.append((b, current))
        previous = current
    return changes


def is_utc(name: str) -> bool:
    """True for the names of UTC itself (no conversion needed)."""
    return name in UTC_NAMES


def local_day(
    ordered_at: ir.TimestampValue,
    timezone: str,
    span: tuple[dt.datetime, dt.datetime] | None,
) -> ir.IntegerValue:
    """The local day number of a naive-UTC timestamp column in ``timezone``.

    Outside UTC, ``span`` (the first and last timestamp of the data) bounds the zone's
    transitions written into the expression; instants outside it keep the nearest offset.
    """
    if is_utc(timezone):
        return ordered_at.date().delta(ibis.literal(EPOCH), unit="day").cast("int64")
    if span is None:
        raise UserError("a time zone other than UTC needs the data's time span")
    changes = offset_changes(timezone, *span)
    seconds = whole_seconds(ordered_at)
    if len(changes) == 1:
        shifted = seconds + changes[0][1]
    else:
        branches = [
            (seconds < start_next, offset)
            for (_, offset), (start_next, _) in itertools.pairwise(changes)
        ]
        shifted = seconds + ibis.cases(*branches, else_=changes[-1][1])
    return (shifted // 86_400).cast("int64")


def whole_seconds(ordered_at: ir.TimestampValue) -> ir.IntegerValue:
    """Seconds since the epoch of a naive-UTC timestamp, the fraction dropped on every
    backend. DuckDB's and PostgreSQL's epochs carry the fraction, which a cast to an integer
    rounds: an order at 23:59:59.6 would fall on the next day."""
    day = ordered_at.date().delta(ibis.literal(EPOCH), unit="day").cast("int64")
    parts = [(ordered_at.hour(), 3_600), (ordered_at.minute(), 60), (ordered_at.second(), 1)]
    return day * 86_400 + sum(part.cast("int64") * scale for part, scale in parts)


def day_dates(first_day: int, last_day: int) -> ir.Table:
    """In-memory table ``day -> date`` for the day numbers first_day..last_day."""
    days = list(range(first_day, last_day + 1))
    return ibis.memtable(
        pd.DataFrame(
            {
                "day": pd.Series(days, dtype="int64"),
                "day_date": [from_day_number(d) for d in days],
            }
        )
    )


def purchases(
    orders: ir.Table,
    *,
    timezone: str = "UTC",
    span: tuple[dt.datetime, dt.datetime] | None = None,
    free_orders: bool = False,
) -> ir.Table:
    """The purchases relation (module docstring) from canonical orders.

    ``span`` (first and last ``ordered_at``) is needed only outside UTC; :func:`order_span`
    gives an expression for it. ``free_orders`` keeps completed orders of zero value that
    nothing was refunded of (the models' purchase occasions, :mod:`.transactions`).
    """
    missing = [c for c in ("customer_id", "order_id", "ordered_at", "amount") if c not in orders]
    if missing:
        raise UserError(f"the orders have no {', '.join(missing)} column")
    # money keeps its own type (exact decimals stay exact) until the net amount is known:
    # DuckDB casts a decimal column to a float at a cost comparable to scanning it
    amount = orders.amount
    refunded = None
    net = amount
    if "refunded" in orders.columns:
        refunded = orders.refunded.fill_null(0)
        net = amount - refunded
    keep = net > 0
    if free_orders:
        free = amount == 0 if refunded is None else (amount == 0) & (refunded == 0)
        keep = keep | free
    if "status" in orders.columns:
        keep = keep & (orders.status.fill_null("completed") == "completed")
    day = local_day(orders.ordered_at, timezone, span)
    rows = orders.select(
        customer_id=orders.customer_id.cast("string"),
        order_id=orders.order_id.cast("string"),
        ordered_at=orders.ordered_at,
        order_day=day,
        amount=net.cast("float64"),
        keep=keep,
    )
    rows = rows.filter(rows.keep).drop("keep")
    if is_utc(timezone):
        return rows.mutate(order_date=rows.ordered_at.date()).relocate(
            "order_date", after="order_day"
        )
    first, last = span  # type: ignore[misc]
    dates = day_dates(day_number(first.date()) - 1, day_number(last.date()) + 1)
    joined = rows.join(dates, rows.order_day == dates.day)
    return joined.select(
        "customer_id",
        "order_id",
        "ordered_at",
        "order_day",
        order_date=joined.day_date,
        amount="amount",
    )


def order_span(orders: ir.Table) -> ir.Table:
    """One row: the first and last ``ordered_at`` of the orders (for :func:`purchases`)."""
    return orders.aggregate(first=orders.ordered_at.min(), last=orders.ordered_at.max())


def daily_totals(purchases: ir.Table) -> ir.Table:
    """Per local day number ``order_day``: ``orders`` and ``revenue`` of the purchases. A
    few thousand rows however many orders, from which the span of the data and the totals of
    any period follow without another pass."""
    return purchases.group_by("order_day").aggregate(
        orders=purchases.count(), revenue=purchases.amount.cast("float64").sum()
    )
