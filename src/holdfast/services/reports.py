"""The report use case: run every analytics expression where the data lives, collect the
small results into a :class:`~holdfast.report.ReportData` for the renderers.

Only aggregates cross into Python: one row per period, per cohort cell, per Lorenz point.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

import holdfast
from holdfast.analytics.cohorts import cohort_table
from holdfast.analytics.concentration import lorenz_of, spend_distribution, top_share_of
from holdfast.analytics.customers import customer_values, headline
from holdfast.analytics.intervals import counted_gaps, gap_histogram, gap_quartiles
from holdfast.analytics.nps import nps_by_period, nps_overall
from holdfast.analytics.steps import purchase_steps
from holdfast.analytics.tenure import step_counts, tenure_of_counts
from holdfast.errors import UserError
from holdfast.report import ReportData, dumps, render_html, write_csv
from holdfast.report import period_table as rich_period_table
from holdfast.report.terminal import fitting_period_table
from holdfast.services.fitting import source_transactions
from holdfast.services.forecast import forecast_for_report
from holdfast.services.metrics import (
    ReportOptions,
    as_date,
    frame_of,
    periods_of,
    prepare,
    row_of,
)
from holdfast.services.segments.report_view import segments_section
from holdfast.services.sources import DataSource

Step = Callable[[str], None]
FORMATS = ("html", "json", "csv")
DEFAULT_HTML = Path("holdfast-report.html")
DEFAULT_CSV = Path("holdfast-report")


def _silent(_: str) -> None:
    return None


def _clean(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def build_report(
    source: DataSource,
    options: ReportOptions,
    step: Step = _silent,
    *,
    forecast: bool = True,
    store_url: str | None = None,
) -> ReportData:
    """Every table and headline of the report for ``source`` (with ``forecast``, the
    "What comes next" section of a fitted BG/NBD model too; with the ``store_url`` of a scored
    store, its segments section)."""
    options = options.checked()
    step("reading the orders")
    data = prepare(source, options)
    scope = {"grain": options.period, "first": data.first, "as_of": data.as_of}
    upto = data.purchases.filter(data.purchases.order_date <= data.as_of)
    step("retention per period")
    periods = periods_of(data, options)
    step("customers and orders")
    # One grouping per customer feeds the headline and the spend distribution (the Lorenz
    # curve and the top share sort its distinct values, not the customers).
    values = source.cache(customer_values(upto).select("orders", "revenue"))
    summary = {k: _clean(v) for k, v in row_of(headline(upto, values)).items()}
    summary["first_order"] = as_date(summary["first_order"])
    summary["last_order"] = as_date(summary["last_order"])
    # One window over the purchases, counted into a small table, gives the days between
    # purchases here and the tenure bands below (upto lies within the scope).
    counted = source.cache(step_counts(purchase_steps(upto), **scope))
    gap_lengths = source.cache(counted_gaps(counted))
    quartiles = row_of(gap_quartiles(gap_lengths))
    summary["days_between_orders_q1"] = _clean(quartiles.get("q1"))
    summary["median_days_between_orders"] = _clean(quartiles.get("median"))
    summary["days_between_orders_q3"] = _clean(quartiles.get("q3"))
    spend = source.cache(spend_distribution(values))
    summary["top20_revenue_share"] = _clean(
        row_of(top_share_of(spend, share=0.2)).get("top_revenue_share")
    )
    step("cohorts")
    cohorts = frame_of(cohort_table(upto, **scope))
    step("revenue concentration and tenure")
    concentration = frame_of(lorenz_of(spend))
    tenure = frame_of(tenure_of_counts(counted, grain=options.period))
    gaps = frame_of(gap_histogram(gap_lengths))
    nps = None
    if source.surveys is not None:
        step("NPS")
        overall = row_of(nps_overall(source.surveys))
        if overall.get("nps_responses"):
            span = row_of(
                source.surveys.aggregate(
                    first=source.surveys.responded_at.min(),
                    last=source.surveys.responded_at.max(),
                )
            )
            nps = frame_of(
                nps_by_period(
                    source.surveys,
                    timezone=options.timezone,
                    span=(span["first"], span["last"]),
                    **scope,
                )
            )
            summary.update({k: _clean(v) for k, v in overall.items()})
    meta = {
        "title": options.title or "Customer retention report",
        "source": source.description,
        "generated_at": dt.datetime.now(dt.UTC).replace(microsecond=0),
        "as_of": data.as_of,
        "period": options.period,
        "active_window_days": options.active_window_days,
        "timezone": options.timezone,
        "currency": source.currency,
        "holdfast_version": holdfast.__version__,
    }
    extra = []
    if forecast:
        step("forecast")
        # the fit, its holdout check and the timeline read the occasions several times
        bought = source_transactions(source, options.timezone)
        bought = source.cache(bought.select("customer_id", "order_date", "amount"))
        extra.append(forecast_for_report(bought, as_of=data.as_of, currency=source.currency))
    if store_url is not None:
        step("segments")
        segments = segments_section(store_url)
        if segments is not None:
            extra.append(segments)
    return ReportData(
        meta=meta,
        summary=summary,
        periods=periods,
        cohorts=cohorts,
        concentration=concentration,
        tenure=tenure,
        days_between_orders=gaps,
        nps=nps,
        extra_sections=extra,
    )


def report_json(data: ReportData) -> str:
    """The report as the stable JSON document (docs/report.md)."""
    return dumps(data)


def write_report(data: ReportData, fmt: str, output: Path | None) -> str | None:
    """Render ``data`` as ``fmt`` into ``output`` (or its default); say where it went.

    Returns None for JSON without ``output``: the caller prints :func:`report_json`.
    """
    if fmt not in FORMATS:
        raise UserError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if fmt == "json":
        if output is None:
            return None
        output.write_text(report_json(data) + "\n", encoding="utf-8")
        return str(output)
    if fmt == "csv":
        folder = output or DEFAULT_CSV
        files = write_csv(data, folder)
        return f"{folder}/ ({len(files)} files)"
    target = output or DEFAULT_HTML
    target.write_text(render_html(data), encoding="utf-8")
    return str(target)


def terminal_table(data: ReportData, columns: list[str] | None = None) -> Table:
    """The period table as a rich table for the terminal."""
    return rich_period_table(data, columns)


def terminal_table_fitting(data: ReportData, console: Console) -> tuple[Table, list[str]]:
    """The period table with the columns that fit ``console``, and the names left out."""
    return fitting_period_table(data, console)
