"""The report's "What comes next" section: a fitted customer-base model's forecast, presented.

Pure presentation: ``services/fitting.py`` fits the model and fills a :class:`ForecastView`
with small tables (columns below, kinds as in :mod:`holdfast.report.data`); this module only
words, draws and serialises them. Append ``ForecastSection(view)`` (or
``ForecastSection(None, absent="No forecast: ...")``) to ``ReportData.extra_sections``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd
from markupsafe import Markup

from holdfast.report import fmt
from holdfast.report import forecast_charts as charts
from holdfast.report.data import Columns, ReportData, is_missing
from holdfast.report.section import Section
from holdfast.report.values import plain, plain_frame, records

if TYPE_CHECKING:
    from holdfast.report.html import RenderContext

#: One row per model parameter, purchase model first, then the spend model (Gamma-Gamma).
PARAMETER_COLUMNS: Columns = (
    ("model", "label"),
    ("parameter", "label"),
    ("estimate", "number"),
    ("std_error", "number"),
    ("ci_low", "number"),
    ("ci_high", "number"),
)

#: Customers per P(alive) band (``band`` like "50–60 %", from ``low`` to ``high``) with the
#: band's expected purchases and revenue over the horizon.
ALIVE_COLUMNS: Columns = (
    ("band", "label"),
    ("low", "rate"),
    ("high", "rate"),
    ("customers", "int"),
    ("expected_purchases", "number"),
    ("expected_revenue", "money"),
)

#: The customers with the highest predicted (discounted) value, best first.
TOP_COLUMNS: Columns = (
    ("customer_id", "label"),
    ("frequency", "int"),
    ("p_alive", "rate"),
    ("expected_purchases", "number"),
    ("predicted_clv", "money"),
    ("next_order_date", "date"),
)

#: Cumulative repeat purchases of the calibration cohort: ``t`` in time units from the end of
#: calibration (negative before it), its ``date``, the model's and the actual count.
TRACKING_COLUMNS: Columns = (
    ("t", "number"),
    ("date", "date"),
    ("expected", "number"),
    ("actual", "number"),
)

#: Mean holdout purchases by calibration frequency bucket ("0", "1", ..., "7+").
BY_FREQUENCY_COLUMNS: Columns = (
    ("frequency", "label"),
    ("customers", "int"),
    ("actual", "number"),
    ("predicted", "number"),
)

#: Per-customer holdout error (predicted minus actual purchases) rounded to whole purchases:
#: ``error`` -5 ("-5 or fewer") ... 5 ("5 or more"), its ``label`` and the ``customers``.
ERROR_COLUMNS: Columns = (
    ("error", "int"),
    ("label", "label"),
    ("customers", "int"),
)

#: ``totals`` keys: customers, repeat_buyers, expected_purchases, expected_revenue (undiscounted,
#: over the horizon), predicted_clv (discounted, summed), likely_active (customers with
#: P(alive) >= 0.5), mean_p_alive.
TOTAL_FIELDS: Columns = (
    ("customers", "int"),
    ("repeat_buyers", "int"),
    ("expected_purchases", "number"),
    ("expected_revenue", "money"),
    ("predicted_clv", "money"),
    ("likely_active", "int"),
    ("mean_p_alive", "rate"),
)

#: ``holdout`` keys when a calibration/holdout check was run.
HOLDOUT_FIELDS: Columns = (
    ("calibration_end", "date"),
    ("holdout_end", "date"),
    ("customers", "int"),
    ("actual_total", "number"),
    ("predicted_total", "number"),
    ("mae", "number"),
    ("rmse", "number"),
    ("correlation", "number"),
)


@dataclass(frozen=True)
class ForecastView:
    """Everything the forecast section shows; tables have the ``*_COLUMNS`` above.

    ``unit`` is the time unit's name ("week"), ``horizon`` the forecast length in units,
    ``discount_rate`` per year. ``tracking``, ``by_frequency``, ``holdout`` and ``errors`` are
    None when no calibration/holdout check was run.
    """

    model: str
    unit: str
    horizon: float
    as_of: dt.date
    currency: str | None
    discount_rate: float
    totals: dict[str, Any]
    parameters: pd.DataFrame
    alive_bands: pd.DataFrame
    top_customers: pd.DataFrame
    diagnostics: tuple[str, ...] = ()
    tracking: pd.DataFrame | None = None
    by_frequency: pd.DataFrame | None = None
    holdout: dict[str, Any] | None = None
    errors: pd.DataFrame | None = None
    loglik: dict[str, float] = field(default_factory=dict)

    @property
    def horizon_text(self) -> str:
        """ "52 weeks", "12 months"."""
        n = self.horizon
        shown = fmt.count(n) if float(n).is_integer() else fmt.number(n, 1)
        return f"{shown} {self.unit}{'' if n == 1 else 's'}"


def _money(view: ForecastView, value: object, whole: bool = False) -> str:
    return fmt.money(value, view.currency, whole=whole)


def _note(text: str) -> Markup:
    return Markup('<p class="intro">{}</p>').format(text)


class ForecastSection(Section):
    """Expected purchases and value per customer, who is still a customer, and how well the
    model tracked a holdout period."""

    key = "forecast"
    title = "What comes next"
    json_key = "forecast"

    def __init__(self, view: ForecastView | None, absent: str | None = None):
        """``view`` None: no forecast could be made, and ``absent`` says why in one sentence."""
        if view is None and not absent:
            raise ValueError("a forecast section without a view needs the reason it is absent")
        self._view = view
        self.absent_note = absent

    @property
    def view(self) -> ForecastView:
        """The forecast shown (only called when :meth:`available`)."""
        assert self._view is not None
        return self._view

    def available(self, data: ReportData) -> bool:
        return self._view is not None

    def document(self, data: ReportData) -> Any:
        v = self.view
        money = v.currency
        return {
            "model": v.model,
            "unit": v.unit,
            "horizon": plain(v.horizon, "number"),
            "as_of": plain(v.as_of, "date"),
            "discount_rate": plain(v.discount_rate, "rate"),
            "totals": {name: plain(v.totals.get(name), kind, money) for name, kind in TOTAL_FIELDS},
            "loglik": {k: plain(val, "number") for k, val in v.loglik.items()},
            "parameters": records(v.parameters, PARAMETER_COLUMNS, money),
            "alive_bands": records(v.alive_bands, ALIVE_COLUMNS, money),
            "top_customers": records(v.top_customers, TOP_COLUMNS, money),
            "diagnostics": list(v.diagnostics),
            "holdout": None
            if v.holdout is None
            else {
                **{name: plain(v.holdout.get(name), kind) for name, kind in HOLDOUT_FIELDS},
                "by_frequency": records(v.by_frequency, BY_FREQUENCY_COLUMNS, money)
                if v.by_frequency is not None
                else [],
                "tracking": records(v.tracking, TRACKING_COLUMNS, money)
                if v.tracking is not None
                else [],
                "errors": records(v.errors, ERROR_COLUMNS, money) if v.errors is not None else [],
            },
        }

    def tables(self, data: ReportData) -> dict[str, pd.DataFrame]:
        v, money = self.view, self.view.currency
        out = {
            "forecast_parameters": plain_frame(v.parameters, PARAMETER_COLUMNS, money),
            "forecast_alive_bands": plain_frame(v.alive_bands, ALIVE_COLUMNS, money),
            "forecast_top_customers": plain_frame(v.top_customers, TOP_COLUMNS, money),
        }
        if v.tracking is not None:
            out["forecast_tracking"] = plain_frame(v.tracking, TRACKING_COLUMNS, money)
        if v.by_frequency is not None:
            out["forecast_by_frequency"] = plain_frame(v.by_frequency, BY_FREQUENCY_COLUMNS, money)
        if v.errors is not None:
            out["forecast_errors"] = plain_frame(v.errors, ERROR_COLUMNS, money)
        return out

    def html(self, data: ReportData, ctx: RenderContext) -> Markup:
        v = self.view
        intro = (
            f"A {v.model} model, fitted on every customer's purchase history up to "
            f"{fmt.day(v.as_of)}, estimates for each customer the chance that they are still a "
            f"customer (P(alive)), how often they will buy in the next {v.horizon_text}, and "
            "what that is worth. Revenue uses each customer's expected spend per order "
            "(Gamma-Gamma model); predicted value is the same revenue discounted at "
            f"{fmt.percent(v.discount_rate)} a year. These are expectations over many "
            "customers, not promises about one."
        )
        body = [
            _note(
                "Bars: how many customers fall in each band of P(alive). Line: the revenue "
                f"those customers are expected to bring in the next {v.horizon_text}."
            ),
            ctx.chart(
                charts.alive_bands(v.alive_bands, v.horizon_text, v.currency), "forecast-alive"
            ),
            _note(
                "The customers worth most over the next "
                f"{v.horizon_text}; the next-order date is when they have, if still customers, "
                "an even chance of having ordered again."
            ),
            ctx.render("forecast_table.html.j2", **self._top_table()),
        ]
        if v.tracking is not None and v.holdout is not None:
            body += [
                _note(
                    f"The model was also fitted on the data up to "
                    f"{fmt.day(v.holdout['calibration_end'])} only, and its forecast compared "
                    "with the purchases that came after: the closer the lines, the more the "
                    "forecast above can be trusted."
                ),
                ctx.chart(charts.tracking(v.tracking, v.unit), "forecast-tracking"),
            ]
        if v.by_frequency is not None and v.holdout is not None:
            holdout_days = (v.holdout["holdout_end"] - v.holdout["calibration_end"]).days
            body += [
                _note(
                    "Customers grouped by how often they bought before the holdout: what each "
                    "group bought in it on average, against the model."
                ),
                ctx.chart(
                    charts.by_frequency(v.by_frequency, f"{fmt.count(holdout_days)} days"),
                    "forecast-by-frequency",
                ),
            ]
        if v.errors is not None and v.holdout is not None:
            body += [
                _note(
                    "Each customer's forecast error in the holdout (expected minus actual "
                    "purchases, rounded): a tall bar at 0 means the forecast was right for most "
                    f"customers; mean absolute error {fmt.number(v.holdout['mae'], 2)} purchases."
                ),
                ctx.chart(charts.errors(v.errors), "forecast-errors"),
            ]
        body += [
            _note(
                "The fitted parameters with 95 % intervals; narrow intervals mean the data pins "
                "the model down well."
            ),
            ctx.render("forecast_table.html.j2", **self._parameter_table()),
        ]
        notes = [f"Warning: {text}" for text in v.diagnostics]
        return ctx.section(self, intro=intro, findings=self.findings(), body=body, notes=notes)

    def findings(self) -> list[str]:
        """Sentences with the totals, the active share and the holdout check."""
        v, t = self.view, self.view.totals
        out = [
            f"In the next {v.horizon_text} the {fmt.plural(t['customers'], 'customer')} are "
            f"expected to buy {fmt.count(t['expected_purchases'])} times, bringing about "
            f"{_money(v, t['expected_revenue'], whole=True)}; discounted, their predicted "
            f"value is {_money(v, t['predicted_clv'], whole=True)}."
        ]
        if t["customers"]:
            out.append(
                f"{fmt.count(t['likely_active'])} customers "
                f"({fmt.percent(t['likely_active'] / t['customers'])}) are more likely than not "
                f"still customers; the average P(alive) is {fmt.percent(t['mean_p_alive'])}."
            )
        h = v.holdout
        if h is not None and not is_missing(h.get("actual_total")):
            actual, predicted = float(h["actual_total"]), float(h["predicted_total"])
            gap = (
                f" ({fmt.percent(abs(predicted - actual) / actual)} "
                f"{'over' if predicted > actual else 'under'})"
                if actual > 0
                else ""
            )
            out.append(
                f"Check: fitted on the data up to {fmt.day(h['calibration_end'])}, the model "
                f"expected {fmt.count(predicted)} purchases by {fmt.day(h['holdout_end'])} from "
                f"those {fmt.plural(h['customers'], 'customer')}; they made "
                f"{fmt.count(actual)}{gap}."
            )
        return out

    def _top_table(self) -> dict[str, Any]:
        v = self.view
        rows = [
            [
                str(r["customer_id"]),
                fmt.count(r["frequency"]),
                fmt.percent(r["p_alive"]),
                fmt.number(r["expected_purchases"], 2),
                _money(v, r["predicted_clv"]),
                fmt.day(r["next_order_date"]),
            ]
            for _, r in v.top_customers.iterrows()
        ]
        headings = [
            "Customer",
            "Repeat purchases",
            "P(alive)",
            f"Expected purchases, next {v.horizon_text}",
            "Predicted value",
            "Next order by",
        ]
        return {"headings": headings, "rows": rows}

    def _parameter_table(self) -> dict[str, Any]:
        rows = [
            [
                f"{r['model']} {r['parameter']}",
                _sig(r["estimate"]),
                _sig(r["std_error"]),
                f"{_sig(r['ci_low'])} – {_sig(r['ci_high'])}",
            ]
            for _, r in self.view.parameters.iterrows()
        ]
        return {"headings": ["Parameter", "Estimate", "Std. error", "95 % interval"], "rows": rows}


def _sig(value: object) -> str:
    """Four significant digits, the precision the papers print."""
    return fmt.DASH if is_missing(value) else f"{float(value):.4g}"
