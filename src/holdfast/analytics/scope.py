"""Purchases within a reporting scope: the days [first, as_of], each tagged with its period.

The period index comes from a small day calendar joined on the local day number, so no
backend has to do calendar arithmetic (see :mod:`holdfast.analytics.calendar`).
"""

from __future__ import annotations

import datetime as dt

import ibis.expr.types as ir

from holdfast.analytics.calendar import check_grain, day_number, day_periods
from holdfast.errors import UserError


def dated_in_scope(
    table: ir.Table, day: str, *, grain: str, first: dt.date, as_of: dt.date
) -> ir.Table:
    """The rows of ``table`` whose day-number column ``day`` lies in [first, as_of], with the
    ``period_idx`` of that day added; rows outside are dropped."""
    check_grain(grain)
    if as_of < first:
        raise UserError(f"as_of ({as_of}) is before the first day ({first})")
    calendar = day_periods(day_number(first), day_number(as_of), grain)
    joined = table.join(calendar, table[day] == calendar.day)
    return joined.drop("day") if day != "day" else joined


def purchases_in_scope(
    purchases: ir.Table, *, grain: str, first: dt.date, as_of: dt.date
) -> ir.Table:
    """The purchases on days first..as_of, each with the ``period_idx`` of its order day."""
    return dated_in_scope(purchases, "order_day", grain=grain, first=first, as_of=as_of)
