"""Periods (day, ISO week, month, quarter, year) as integer indexes, labels and calendars.

The database never has to do calendar arithmetic: every order carries its local day number
(days since 1970-01-01 in the business time zone), and the small per-day calendars built
here map a day number to its period index and to the boundaries at which an order on that
day makes its customer active. They travel to the backend as in-memory tables, so the same
join runs on SQLite, PostgreSQL and DuckDB.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import pandas as pd

from holdfast.errors import UserError

GRAINS = ("day", "week", "month", "quarter", "year")
EPOCH = dt.date(1970, 1, 1)
#: A Monday: ISO weeks are counted from it.
_WEEK_EPOCH = dt.date(1969, 12, 29)
#: The shortest length of each grain in days (an activity window must cover it).
MIN_DAYS = {"day": 1, "week": 7, "month": 28, "quarter": 90, "year": 365}
#: The longest length of each grain in days.
MAX_DAYS = {"day": 1, "week": 7, "month": 31, "quarter": 92, "year": 366}


def check_grain(grain: str) -> str:
    """The grain, or a UserError naming the ones we know."""
    if grain not in GRAINS:
        raise UserError(f"unknown period {grain!r}: use one of {', '.join(GRAINS)}")
    return grain


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01."""
    return (day - EPOCH).days


def from_day_number(number: int) -> dt.date:
    """The date of a day number."""
    return EPOCH + dt.timedelta(days=int(number))


def period_index(day: dt.date, grain: str) -> int:
    """A running integer for the period containing ``day``: consecutive periods differ by 1."""
    if grain == "day":
        return day_number(day)
    if grain == "week":
        return (day - _WEEK_EPOCH).days // 7
    if grain == "month":
        return day.year * 12 + day.month - 1
    if grain == "quarter":
        return day.year * 4 + (day.month - 1) // 3
    if grain == "year":
        return day.year
    raise UserError(f"unknown period {grain!r}")


def period_start(index: int, grain: str) -> dt.date:
    """The first day of the period with this index (inverse of :func:`period_index`)."""
    if grain == "day":
        return from_day_number(index)
    if grain == "week":
        return _WEEK_EPOCH + dt.timedelta(days=7 * index)
    if grain == "month":
        return dt.date(index // 12, index % 12 + 1, 1)
    if grain == "quarter":
        return dt.date(index // 4, 3 * (index % 4) + 1, 1)
    if grain == "year":
        return dt.date(index, 1, 1)
    raise UserError(f"unknown period {grain!r}")


def period_label(index: int, grain: str) -> str:
    """'1997-01-05', '1997-W02', '1997-01', '1997-Q1' or '1997' (ISO week-numbering year)."""
    start = period_start(index, grain)
    if grain == "day":
        return start.isoformat()
    if grain == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if grain == "month":
        return f"{start.year}-{start.month:02d}"
    if grain == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return str(start.year)


def check_window(grain: str, window_days: int) -> int:
    """The activity window, refused when shorter than the period (DESIGN.md)."""
    check_grain(grain)
    if int(window_days) != window_days or window_days < 1:
        raise UserError(f"the activity window must be a whole number of days, got {window_days}")
    if window_days < MAX_DAYS[grain]:
        raise UserError(
            f"an activity window of {window_days} days is shorter than a {grain} "
            f"(up to {MAX_DAYS[grain]} days): customers could buy in a period and be inactive "
            f"at both of its ends; use --active-window {MAX_DAYS[grain]} or more"
        )
    return int(window_days)


def periods_frame(first: dt.date, as_of: dt.date, grain: str) -> pd.DataFrame:
    """One row per period from the one containing ``first`` to the one containing ``as_of``.

    Columns: ``idx``, ``period`` (label), ``start``, ``end`` (exclusive), ``partial`` (the
    data ends inside the period, i.e. ``as_of`` is before its last day).
    """
    check_grain(grain)
    if as_of < first:
        raise UserError(f"as_of ({as_of}) is before the first order ({first})")
    lo, hi = period_index(first, grain), period_index(as_of, grain)
    indexes = list(range(lo, hi + 1))
    starts = [period_start(i, grain) for i in indexes]
    ends = [period_start(i + 1, grain) for i in indexes]
    return pd.DataFrame(
        {
            "idx": pd.Series(indexes, dtype="int64"),
            "period": [period_label(i, grain) for i in indexes],
            "start": starts,
            "end": ends,
            "partial": [end > as_of + dt.timedelta(days=1) for end in ends],
        }
    )


def activity_calendar(first_day: int, as_of_day: int, grain: str, window_days: int) -> pd.DataFrame:
    """Per local day number: its period index and the boundary indexes an order makes active.

    An order on day d makes its customer active at every period start b with
    d < b <= d + W, i.e. at boundary indexes ``active_from = idx(d) + 1`` through
    ``active_to = idx(d + W)``. The end of the data (the day after ``as_of``) is one more
    boundary, index ``idx(as_of) + 1``, reached when d + W > as_of; so a period the data ends
    inside closes at the end of the data.
    """
    window = check_window(grain, window_days)
    days = list(range(first_day, as_of_day + 1))
    last = period_index(from_day_number(as_of_day), grain)
    idx = [period_index(from_day_number(d), grain) for d in days]
    reach = [
        last + 1 if d + window > as_of_day else period_index(from_day_number(d + window), grain)
        for d in days
    ]
    return pd.DataFrame(
        {
            "day": pd.Series(days, dtype="int64"),
            "period_idx": pd.Series(idx, dtype="int64"),
            "active_from": pd.Series([i + 1 for i in idx], dtype="int64"),
            "active_to": pd.Series(reach, dtype="int64"),
        }
    )


def day_periods(first_day: int, last_day: int, grain: str) -> ir.Table:
    """In-memory table ``day -> period_idx`` for the day numbers first_day..last_day."""
    days = list(range(first_day, last_day + 1))
    return ibis.memtable(
        pd.DataFrame(
            {
                "day": pd.Series(days, dtype="int64"),
                "period_idx": pd.Series(
                    [period_index(from_day_number(d), grain) for d in days], dtype="int64"
                ),
            }
        )
    )
