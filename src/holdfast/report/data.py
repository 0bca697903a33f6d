"""ReportData: everything a report shows, as plain tables and dicts (the contract services fill).

The report package computes nothing: ``services/reports.py`` runs the analytics and hands the
results over in a :class:`ReportData`; the renderers (HTML, JSON, CSV, terminal) only format
them. This module fixes the shape of that hand-over, field by field, and checks it, so a
missing column fails here with its name instead of deep inside a template.

Every table is a pandas DataFrame whose columns are listed in ``*_COLUMNS`` below as
``(name, kind)``. Kinds: ``label`` (text), ``date``, ``bool``, ``int`` (a count, never null),
``rate`` (a share 0..1, NaN where undefined), ``money`` (currency amount, NaN where undefined),
``number`` (any other float, NaN where undefined), ``points`` (NPS percentage points).
Extra columns are ignored; rows are shown in the order given.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from holdfast.errors import InputError, Problem
from holdfast.report.section import Section

Columns = tuple[tuple[str, str], ...]

#: meta: what the report is about. ``source`` is a file path or a store URL (any password in
#: a URL is masked again here, to be safe); ``generated_at`` a datetime; ``as_of`` the last day
#: of data; ``period`` one of :data:`PERIODS`; ``currency`` an ISO 4217 code or None.
META_FIELDS: Columns = (
    ("title", "label"),
    ("source", "label"),
    ("generated_at", "datetime"),
    ("as_of", "date"),
    ("period", "label"),
    ("active_window_days", "int"),
    ("timezone", "label"),
    ("currency", "label"),
    ("holdfast_version", "label"),
)

#: The period grains and their label formats (see the shared contracts).
PERIODS = ("day", "week", "month", "quarter", "year")

#: One row per period, oldest first. S = customers_start, E = customers_end, N = new_customers;
#: crr = (E - N) / S, exact_retention = retained / S, churn_rate = lost / S (NaN when S = 0);
#: partial is True for a period the data ends inside (its numbers are not final).
PERIOD_COLUMNS: Columns = (
    ("period", "label"),
    ("start", "date"),
    ("end", "date"),
    ("partial", "bool"),
    ("customers_start", "int"),
    ("customers_end", "int"),
    ("new_customers", "int"),
    ("retained", "int"),
    ("reactivated", "int"),
    ("lost", "int"),
    ("crr", "rate"),
    ("exact_retention", "rate"),
    ("churn_rate", "rate"),
    ("buyers", "int"),
    ("orders", "int"),
    ("revenue", "money"),
    ("average_order_value", "money"),
    ("purchase_frequency", "number"),
    ("repeat_rate", "rate"),
)

#: Long cohort table: one row per (cohort, age). ``cohort`` is the acquisition period's label,
#: ``age`` the number of periods since acquisition (0 = the acquisition period itself),
#: ``active_share`` the share of the cohort buying in that period,
#: ``revenue_per_member_cumulative`` the cohort's revenue up to that age divided by its size.
COHORT_COLUMNS: Columns = (
    ("cohort", "label"),
    ("cohort_size", "int"),
    ("age", "int"),
    ("active_share", "rate"),
    ("revenue_per_member_cumulative", "money"),
)

#: Lorenz curve points (about 101 of them), customers ranked from the smallest spender up:
#: the poorest ``customer_share`` of customers bring ``revenue_share`` of revenue. Both run from
#: 0 to 1 and never decrease. (The chart turns it round to read "the top x % bring y %".)
CONCENTRATION_COLUMNS: Columns = (
    ("customer_share", "rate"),
    ("revenue_share", "rate"),
)

#: Spend by tenure (time since the first order), bands in display order such as "0–3 months".
#: ``spend_per_customer`` is the analytics' spend per customer of the band.
TENURE_COLUMNS: Columns = (
    ("tenure_band", "label"),
    ("customers", "int"),
    ("revenue", "money"),
    ("spend_per_customer", "money"),
)

#: Histogram of the days between a customer's consecutive orders, buckets in display order.
DAYS_BETWEEN_COLUMNS: Columns = (
    ("bucket", "label"),
    ("count", "int"),
)

#: NPS per period (optional): counts of answers and NPS with its 95 % interval, all in
#: percentage points (-100..100).
NPS_COLUMNS: Columns = (
    ("period", "label"),
    ("responses", "int"),
    ("promoters", "int"),
    ("passives", "int"),
    ("detractors", "int"),
    ("nps", "points"),
    ("ci_low", "points"),
    ("ci_high", "points"),
)

#: Headline numbers over all the data. Every key must be present (value None/NaN where
#: undefined) except the ``nps*`` keys, which are present exactly when ``nps`` is given.
SUMMARY_FIELDS: Columns = (
    ("customers", "int"),
    ("orders", "int"),
    ("revenue", "money"),
    ("first_order", "date"),
    ("last_order", "date"),
    ("lifetime_repeat_rate", "rate"),
    ("average_order_value", "money"),
    ("purchase_frequency", "number"),
    ("mean_historical_clv", "money"),
    ("median_historical_clv", "money"),
    ("days_between_orders_q1", "number"),
    ("median_days_between_orders", "number"),
    ("days_between_orders_q3", "number"),
    ("top20_revenue_share", "rate"),
)
NPS_SUMMARY_FIELDS: Columns = (
    ("nps", "points"),
    ("nps_responses", "int"),
    ("nps_ci_low", "points"),
    ("nps_ci_high", "points"),
)
#: Summary keys the report derives from ``periods`` (the last complete period); not inputs.
DERIVED_SUMMARY_FIELDS: Columns = (
    ("latest_period", "label"),
    ("latest_crr", "rate"),
    ("latest_exact_retention", "rate"),
    ("latest_churn_rate", "rate"),
)

_NUMERIC_KINDS = {"int", "rate", "money", "number", "points"}
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][\w+.-]*://[^/:@\s]*:)[^@/\s]*(?P<at>@)")


def mask_password(source: str) -> str:
    """A store URL with its password replaced by ``***`` (file paths come back unchanged)."""
    return _URL_PASSWORD.sub(r"\g<head>***\g<at>", source)


def is_missing(value: Any) -> bool:
    """True for None, NaN and pandas' missing markers."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


@dataclass
class ReportData:
    """Everything one report shows. Build it in services; render it with the report modules.

    ``meta``, ``summary``: dicts with the keys of :data:`META_FIELDS` and
    :data:`SUMMARY_FIELDS` (plus :data:`NPS_SUMMARY_FIELDS` when ``nps`` is given).
    ``periods``, ``cohorts``, ``concentration``, ``tenure``, ``days_between_orders``,
    ``nps``: DataFrames with the columns of the matching ``*_COLUMNS`` constant; ``nps`` is
    None when there are no survey answers. ``extra_sections``: further
    :class:`~holdfast.report.section.Section` objects (model forecasts, segments) shown after
    the built-in ones, each carrying its own data.

    The constructor checks the structure and raises :class:`~holdfast.errors.InputError`
    listing every missing or malformed field at once.
    """

    meta: dict[str, Any]
    summary: dict[str, Any]
    periods: pd.DataFrame
    cohorts: pd.DataFrame
    concentration: pd.DataFrame
    tenure: pd.DataFrame
    days_between_orders: pd.DataFrame
    nps: pd.DataFrame | None = None
    extra_sections: list[Section] = field(default_factory=list)

    def __post_init__(self) -> None:
        problems = validate(self)
        if problems:
            raise InputError("the report data is incomplete or malformed", problems)
        self.meta = {**self.meta, "source": mask_password(str(self.meta["source"]))}

    @property
    def latest(self) -> pd.Series | None:
        """The row of the last complete (not partial) period, or None when there is none."""
        complete = self.periods[~self.periods["partial"].astype(bool)]
        return None if complete.empty else complete.iloc[-1]

    @property
    def partial_periods(self) -> list[str]:
        """Labels of the periods the data ends inside."""
        return [str(p) for p in self.periods.loc[self.periods["partial"].astype(bool), "period"]]

    def derived_summary(self) -> dict[str, Any]:
        """The :data:`DERIVED_SUMMARY_FIELDS`, read off the last complete period."""
        row = self.latest
        if row is None:
            return {name: None for name, _ in DERIVED_SUMMARY_FIELDS}
        return {
            "latest_period": str(row["period"]),
            "latest_crr": row["crr"],
            "latest_exact_retention": row["exact_retention"],
            "latest_churn_rate": row["churn_rate"],
        }


def validate(data: ReportData) -> list[Problem]:
    """Every structural problem of ``data``: missing keys and columns, bad kinds, bad rows."""
    problems: list[Problem] = []
    problems += _check_fields("meta", data.meta, META_FIELDS)
    if isinstance(data.meta, dict) and data.meta.get("period") not in (None, *PERIODS):
        problems.append(
            Problem(
                "must be one of " + ", ".join(PERIODS), "meta", None, "period", data.meta["period"]
            )
        )
    summary_fields = SUMMARY_FIELDS + (NPS_SUMMARY_FIELDS if data.nps is not None else ())
    problems += _check_fields("summary", data.summary, summary_fields)
    if isinstance(data.summary, dict):
        derived = [name for name, _ in DERIVED_SUMMARY_FIELDS if name in data.summary]
        problems += [
            Problem("is derived from periods by the report; leave it out", "summary", None, name)
            for name in derived
        ]
        if data.nps is None:
            problems += [
                Problem("is given but there is no nps table", "summary", None, name)
                for name, _ in NPS_SUMMARY_FIELDS
                if not is_missing(data.summary.get(name))
            ]
    tables = [
        ("periods", data.periods, PERIOD_COLUMNS),
        ("cohorts", data.cohorts, COHORT_COLUMNS),
        ("concentration", data.concentration, CONCENTRATION_COLUMNS),
        ("tenure", data.tenure, TENURE_COLUMNS),
        ("days_between_orders", data.days_between_orders, DAYS_BETWEEN_COLUMNS),
    ]
    if data.nps is not None:
        tables.append(("nps", data.nps, NPS_COLUMNS))
    for name, frame, columns in tables:
        problems += _check_table(name, frame, columns)
    if not problems:
        problems += _check_rows(data)
    problems += [
        Problem("is not a Section", "extra_sections", i, None, type(s).__name__)
        for i, s in enumerate(data.extra_sections)
        if not isinstance(s, Section)
    ]
    return problems


def _check_fields(where: str, values: object, fields: Columns) -> list[Problem]:
    if not isinstance(values, dict):
        return [Problem("must be a dict", where, None, None, type(values).__name__)]
    missing = [name for name, _ in fields if name not in values]
    problems = [Problem("is missing", where, None, name) for name in missing]
    for name, kind in fields:
        value = values.get(name)
        if name in missing or is_missing(value):
            continue
        if kind in _NUMERIC_KINDS and (isinstance(value, bool) or not _is_number(value)):
            problems.append(Problem(f"must be a number ({kind})", where, None, name, value))
        elif kind == "int" and float(value) != int(value):
            problems.append(Problem("must be a whole number", where, None, name, value))
        elif kind in ("date", "datetime") and not isinstance(value, dt.date | pd.Timestamp):
            problems.append(Problem(f"must be a {kind}", where, None, name, value))
    return problems


def _is_number(value: object) -> bool:
    try:
        float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True


def _check_table(name: str, frame: object, columns: Columns) -> list[Problem]:
    if not isinstance(frame, pd.DataFrame):
        return [Problem("must be a pandas DataFrame", name, None, None, type(frame).__name__)]
    missing = [col for col, _ in columns if col not in frame.columns]
    if missing:
        return [Problem("column is missing", name, None, col) for col in missing]
    problems = []
    for col, kind in columns:
        series = frame[col]
        if kind in _NUMERIC_KINDS and not (
            pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
        ):
            problems.append(
                Problem(f"must be numeric ({kind})", name, None, col, str(series.dtype))
            )
            continue
        if kind == "int":
            fraction = series.fillna(0) % 1 != 0
            problems += [
                Problem("must be a whole number", name, i, col, float(series.iloc[i]))
                for i in _positions(fraction)
            ]
        if kind in ("int", "label", "date", "bool"):
            problems += [
                Problem("must not be empty", name, int(i), col) for i in _positions(series.isna())
            ]
    return problems


def _positions(mask: pd.Series, limit: int = 5) -> list[int]:
    return [int(i) for i in mask.to_numpy().nonzero()[0][:limit]]


def _check_rows(data: ReportData) -> list[Problem]:
    problems = []
    if data.periods.empty:
        problems.append(Problem("needs at least one period", "periods"))
    periods = data.periods["period"].astype(str)
    problems += [
        Problem("appears more than once", "periods", int(i), "period", periods.iloc[i])
        for i in _positions(periods.duplicated())
    ]
    lorenz = data.concentration
    if len(lorenz) < 2:
        problems.append(Problem("needs at least two Lorenz points", "concentration"))
    else:
        for col in ("customer_share", "revenue_share"):
            values = lorenz[col].astype(float)
            if values.isna().any() or values.min() < -1e-9 or values.max() > 1 + 1e-9:
                problems.append(Problem("must lie between 0 and 1", "concentration", None, col))
            elif (values.diff().iloc[1:] < -1e-9).any():
                problems.append(Problem("must never decrease", "concentration", None, col))
    return problems
