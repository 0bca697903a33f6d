"""Per-customer recency/frequency/monetary summaries for the customer-base models, in Ibis.

Input: the canonical purchases relation (docs/data-model.md); only ``customer_id``,
``order_date`` (the calendar date in the business time zone) and ``amount`` (net) are used.

    customer_id | order_date | amount
    ------------+------------+-------
    c1          | 1997-01-01 |  29.33
    c1          | 1997-01-18 |  29.73

Orders on the same day are merged into one purchase (their amounts summed), as in the papers'
CDNOW summaries. All dates are inclusive: a purchase on ``as_of`` counts, and T is measured to
``as_of``. Times are day differences divided by the time unit (7 for weeks). Nothing here
executes: the functions return Ibis expressions that run where the data lives; only the
one-row-per-customer result needs to cross into Python.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from holdfast.errors import UserError

#: Time units by name, in days (a month is 365.25 / 12 days).
UNITS: dict[str, float] = {"D": 1.0, "W": 7.0, "M": 365.25 / 12.0}


def unit_days(time_unit: float | str) -> float:
    """Days per time unit: a positive number, or 'D', 'W', 'M'."""
    if isinstance(time_unit, str):
        try:
            return UNITS[time_unit.upper()]
        except KeyError:
            raise UserError(
                f"unknown time unit {time_unit!r}: use D, W, M or a number of days"
            ) from None
    value = float(time_unit)
    if not value > 0:
        raise UserError(f"the time unit must be a positive number of days, got {time_unit!r}")
    return value


def _date(value: object, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise UserError(f"{name} must be a date like 1997-09-30, got {value!r}")


def purchase_days(purchases: ir.Table, end: dt.date) -> ir.Table:
    """One row per (customer_id, order_date) up to ``end`` with the day's summed amount."""
    days = purchases.select(
        "customer_id",
        order_date=purchases.order_date.cast("date"),
        amount=purchases.amount.cast("float64"),
    )
    days = days.filter(days.order_date <= ibis.literal(end))
    return days.group_by(["customer_id", "order_date"]).aggregate(amount=days.amount.sum())


#: Backends whose ``arg_min`` is a true aggregate (SQLite's reads a bare column, which is
#: undefined next to another min or max; PostgreSQL's sorts an array per group).
_ARG_MIN_BACKENDS = frozenset({"duckdb"})


def _per_customer(days: ir.Table) -> ir.Table:
    """first_date, last_date, days and repeat_amount (all days' amounts but the first's) per
    customer: one grouping where ``arg_min`` is native, else a join to the first dates."""
    if ibis.get_backend(days).name in _ARG_MIN_BACKENDS:
        return days.group_by("customer_id").aggregate(
            first_date=days.order_date.min(),
            last_date=days.order_date.max(),
            days=days.count(),
            repeat_amount=days.amount.sum() - days.amount.argmin(days.order_date),
        )
    first = days.group_by("customer_id").aggregate(first_date=days.order_date.min())
    joined = days.join(first, "customer_id")
    repeat = joined.order_date > joined.first_date
    return joined.group_by("customer_id").aggregate(
        first_date=joined.first_date.min(),
        last_date=joined.order_date.max(),
        days=joined.count(),
        repeat_amount=ibis.cases((repeat, joined.amount), else_=0.0).sum(),
    )


def summary_columns(
    per: ir.Table,
    *,
    days: ir.IntegerValue,
    repeat_amount: ir.NumericValue,
    end: dt.date,
    unit: float,
) -> ir.Table:
    """frequency, recency, T and monetary_value from a per-customer table with ``first_date``
    and ``last_date``, its purchase ``days`` and the ``repeat_amount`` of all days but the
    first, times to ``end`` in ``unit`` days."""
    frequency = (days - 1).cast("int64")
    return per.select(
        "customer_id",
        frequency=frequency,
        recency=per.last_date.delta(per.first_date, unit="day").cast("float64") / unit,
        T=ibis.literal(end).delta(per.first_date, unit="day").cast("float64") / unit,
        monetary_value=ibis.cases(
            (frequency > 0, repeat_amount / frequency.cast("float64")), else_=0.0
        ),
    )


def _calibration(days: ir.Table, end: dt.date, unit: float) -> ir.Table:
    per = _per_customer(days)
    return summary_columns(per, days=per.days, repeat_amount=per.repeat_amount, end=end, unit=unit)


def customer_summary(
    purchases: ir.Table,
    *,
    as_of: dt.date | str,
    time_unit_days: float | str = 7.0,
    calibration_end: dt.date | str | None = None,
    holdout_end: dt.date | str | None = None,
) -> ir.Table:
    """frequency, recency, T and monetary_value per customer, optionally with a holdout.

    frequency: purchase days after the first; recency: time from the first to the last purchase
    day; T: time from the first purchase day to the end of calibration; monetary_value: mean
    amount of the repeat purchase days (0 when frequency is 0). Without ``calibration_end`` the
    summary runs to ``as_of``. With it, customers whose first purchase is on or before
    ``calibration_end`` are summarised up to that date, and frequency_holdout (purchase days in
    (calibration_end, holdout_end]), monetary_value_holdout (their mean amount, 0 if none) and
    duration_holdout (the holdout length) are added; ``holdout_end`` defaults to ``as_of``.
    """
    as_of_date = _date(as_of, "as_of")
    end = as_of_date
    if calibration_end is not None and holdout_end is not None:
        end = _date(holdout_end, "holdout_end")
    return summary_of_days(
        purchase_days(purchases, end),
        as_of=as_of_date,
        time_unit_days=time_unit_days,
        calibration_end=calibration_end,
        holdout_end=holdout_end,
    )


def summary_of_days(
    days: ir.Table,
    *,
    as_of: dt.date | str,
    time_unit_days: float | str = 7.0,
    calibration_end: dt.date | str | None = None,
    holdout_end: dt.date | str | None = None,
) -> ir.Table:
    """:func:`customer_summary` of purchase days (:func:`purchase_days` up to as_of or later):
    a fit with a holdout check reads the same days three times, so it can group them once."""
    unit = unit_days(time_unit_days)
    as_of_date = _date(as_of, "as_of")
    if calibration_end is None:
        if holdout_end is not None:
            raise UserError("holdout_end needs calibration_end (where the holdout starts)")
        upto = days.filter(days.order_date <= ibis.literal(as_of_date))
        return _calibration(upto, as_of_date, unit)
    cal_end = _date(calibration_end, "calibration_end")
    hold_end = as_of_date if holdout_end is None else _date(holdout_end, "holdout_end")
    if not cal_end < hold_end:
        raise UserError(f"calibration_end ({cal_end}) must be before holdout_end ({hold_end})")
    if hold_end > as_of_date:
        raise UserError(f"holdout_end ({hold_end}) cannot be after as_of ({as_of_date})")
    days = days.filter(days.order_date <= ibis.literal(hold_end))
    cal = _calibration(days.filter(days.order_date <= ibis.literal(cal_end)), cal_end, unit)
    later = days.filter(days.order_date > ibis.literal(cal_end))
    hold = later.group_by("customer_id").aggregate(
        frequency_holdout=later.count(), amount_holdout=later.amount.sum()
    )
    joined = cal.left_join(hold, "customer_id")
    n_hold = joined.frequency_holdout.fill_null(0).cast("int64")
    # computed in SQL (a bare float literal comes back as NUMERIC from PostgreSQL)
    duration = ibis.literal(hold_end).delta(ibis.literal(cal_end), unit="day").cast("float64")
    return joined.select(
        "customer_id",
        "frequency",
        "recency",
        "T",
        "monetary_value",
        frequency_holdout=n_hold,
        monetary_value_holdout=ibis.cases(
            (n_hold > 0, joined.amount_holdout / n_hold.cast("float64")), else_=0.0
        ),
        duration_holdout=duration / unit,
    )


def repeat_purchase_timeline(
    purchases: ir.Table,
    *,
    calibration_end: dt.date | str,
    holdout_end: dt.date | str,
    time_unit_days: float | str = 7.0,
) -> ir.Table:
    """Repeat purchase days per date for the calibration cohort, for cumulative tracking.

    Columns ``t`` (time of the date from calibration_end in the unit, <= 0 inside calibration)
    and ``repeat_purchases`` (purchase days that date which are not a customer's first), for
    customers whose first purchase is on or before ``calibration_end``, up to ``holdout_end``.
    """
    hold_end = _date(holdout_end, "holdout_end")
    return timeline_of_days(
        purchase_days(purchases, hold_end),
        calibration_end=calibration_end,
        holdout_end=hold_end,
        time_unit_days=time_unit_days,
    )


def timeline_of_days(
    days: ir.Table,
    *,
    calibration_end: dt.date | str,
    holdout_end: dt.date | str,
    time_unit_days: float | str = 7.0,
) -> ir.Table:
    """:func:`repeat_purchase_timeline` of purchase days (:func:`purchase_days` up to
    holdout_end or later)."""
    unit = unit_days(time_unit_days)
    cal_end = _date(calibration_end, "calibration_end")
    hold_end = _date(holdout_end, "holdout_end")
    days = days.filter(days.order_date <= ibis.literal(hold_end))
    first = days.group_by("customer_id").aggregate(first_date=days.order_date.min())
    cohort = first.filter(first.first_date <= ibis.literal(cal_end))
    joined = days.join(cohort, "customer_id")
    repeat = joined.filter(joined.order_date > joined.first_date)
    per_day = repeat.group_by("order_date").aggregate(repeat_purchases=repeat.count())
    return per_day.select(
        t=per_day.order_date.delta(ibis.literal(cal_end), unit="day").cast("float64") / unit,
        repeat_purchases=per_day.repeat_purchases.cast("int64"),
    ).order_by("t")
