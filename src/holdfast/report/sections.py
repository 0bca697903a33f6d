"""The built-in sections of the report, in reading order, and the full list for one report.

Each section says in plain words how to read it (``intro``) and what the data shows
(``findings``: sentences with the actual numbers), draws its charts, and owns its part of the
JSON document and of the CSV folder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
from markupsafe import Markup

from holdfast.report import charts, fmt
from holdfast.report.data import (
    COHORT_COLUMNS,
    CONCENTRATION_COLUMNS,
    DAYS_BETWEEN_COLUMNS,
    NPS_COLUMNS,
    PERIOD_COLUMNS,
    TENURE_COLUMNS,
    ReportData,
    is_missing,
)
from holdfast.report.section import Section
from holdfast.report.values import plain, plain_frame, records

if TYPE_CHECKING:
    from holdfast.report.html import RenderContext


def _grain(data: ReportData) -> str:
    return str(data.meta["period"])


def _name(data: ReportData, label: object) -> str:
    return fmt.period_name(str(label), _grain(data))


def _money(data: ReportData, value: object, whole: bool = False) -> str:
    return fmt.money(value, data.meta.get("currency"), whole=whole)


def _currency(data: ReportData) -> str | None:
    return data.meta.get("currency")


def _window(data: ReportData) -> str:
    return fmt.count(data.meta["active_window_days"])


class RetentionSection(Section):
    """CRR, exact retention and churn over time, with the customers who came back."""

    key = "retention"
    title = "Retention over time"

    def html(self, data: ReportData, ctx: RenderContext) -> Markup:
        grain = _grain(data)
        intro = (
            "The customer retention rate (CRR) is (customers active at the end − new customers) "
            "÷ customers active at the start. It counts lapsed customers who come back as kept, "
            "so the chart also shows exact retention: the share of the customers active at the "
            "start who are still active at the end. Churn is the share lost. A customer counts "
            f"as active while their latest order is less than {_window(data)} days old. The "
            "bars are lapsed customers who came back."
        )
        return ctx.section(
            self,
            intro=intro,
            findings=self.findings(data),
            body=[ctx.chart(charts.retention(data.periods, grain), "retention")],
        )

    def findings(self, data: ReportData) -> list[str]:
        """Sentences on the latest complete period, the range of CRR and the gaps."""
        grain, periods, out = _grain(data), data.periods, []
        row = data.latest
        if row is not None and int(row["customers_start"]) > 0:
            out.append(
                f"In {_name(data, row['period'])}, CRR was {fmt.percent(row['crr'])} and exact "
                f"retention {fmt.percent(row['exact_retention'])}; "
                f"{fmt.plural(row['reactivated'], 'lapsed customer')} came back."
            )
        done = periods[~periods["partial"].astype(bool) & periods["crr"].notna()]
        if len(done) >= 2:
            low, high = done.loc[done["crr"].idxmin()], done.loc[done["crr"].idxmax()]
            out.append(
                f"Over the {fmt.count(len(done))} complete {grain}s with customers to retain, "
                f"CRR ranged from {fmt.percent(low['crr'])} ({_name(data, low['period'])}) to "
                f"{fmt.percent(high['crr'])} ({_name(data, high['period'])})."
            )
        empty = periods[periods["customers_start"].astype(int) == 0]
        if len(empty):
            out.append(
                f"{fmt.plural(len(empty), grain)} had no active customers at the start "
                f"(from {_name(data, empty['period'].iloc[0])}), so "
                f"{'its' if len(empty) == 1 else 'their'} rates are undefined and left blank."
            )
        out += _partial_notes(data)
        return out


def _sentence(text: str) -> str:
    """``text`` with a capital first letter ("week 2 of 1997" starts a sentence)."""
    return text[:1].upper() + text[1:]


def _partial_notes(data: ReportData) -> list[str]:
    names = [_name(data, p) for p in data.partial_periods]
    if not names:
        return []
    return [
        _sentence(" and ".join(names))
        + f" {'is' if len(names) == 1 else 'are'} shaded: the data ends on "
        f"{fmt.day(data.meta['as_of'])}, inside {'it' if len(names) == 1 else 'them'}, so "
        "those numbers will still change."
    ]


class FlowSection(Section):
    """New, retained, returning and lost customers per period, stacked."""

    key = "flow"
    title = "Customer flow"

    def html(self, data: ReportData, ctx: RenderContext) -> Markup:
        grain, p = _grain(data), data.periods
        intro = (
            f"Each bar splits the customers active at the end of a {grain} into those kept from "
            "its start, lapsed customers who came back, and new customers. Customers lost during "
            f"the {grain} hang below the line."
        )
        findings = [
            f"Across the {fmt.plural(len(p), grain)} shown, {fmt.count(p['new_customers'].sum())} "
            f"customers were new, lapsed customers came back "
            f"{fmt.count(p['reactivated'].sum())} times, and active customers lapsed "
            f"{fmt.count(p['lost'].sum())} times."
        ]
        return ctx.section(
            self, intro=intro, findings=findings, body=[ctx.chart(charts.flow(p, grain), "flow")]
        )


#: Cohorts drawn in the heatmap at most (the latest ones); more rows would be unreadable.
MAX_COHORTS = 36


class CohortSection(Section):
    """The cohort heatmap: share of each acquisition cohort buying in later periods."""

    key = "cohorts"
    title = "Cohorts"
    json_key = "cohorts"

    def available(self, data: ReportData) -> bool:
        return not data.cohorts.empty

    def document(self, data: ReportData) -> Any:
        return records(data.cohorts, COHORT_COLUMNS, _currency(data))

    def tables(self, data: ReportData) -> dict[str, pd.DataFrame]:
        return {"cohorts": plain_frame(data.cohorts, COHORT_COLUMNS, _currency(data))}

    def html(self, data: ReportData, ctx: RenderContext) -> Markup:
        grain = _grain(data)
        intro = (
            f"A cohort is the customers whose first order fell in the same {grain}. Each row is "
            f"one cohort (its size in brackets); each column counts {grain}s since that first "
            f"order. A cell shows the share of the cohort that bought in that {grain}; column 0 "
            "is always 100 %. The buttons switch to revenue per cohort member, cumulative: what "
            "an average member of the cohort had spent by then."
        )
        labels = list(dict.fromkeys(data.cohorts["cohort"].astype(str)))
        shown = labels[-MAX_COHORTS:]
        notes = []
        if len(shown) < len(labels):
            notes.append(
                f"The chart shows the latest {len(shown)} of {len(labels)} cohorts; the JSON and "
                "CSV outputs hold them all."
            )
        frame = data.cohorts[data.cohorts["cohort"].astype(str).isin(shown)]
        body = [ctx.chart(charts.cohort_heatmap(frame, grain, _currency(data)), "cohorts")]
        return ctx.section(self, intro=intro, findings=self.findings(data), body=body, notes=notes)

    def findings(self, data: ReportData) -> list[str]:
        """What the largest cohort did one period later and how much it spent in all."""
        grain, c = _grain(data), data.cohorts
        sizes = c.groupby(c["cohort"].astype(str), sort=False)["cohort_size"].first()
        biggest = str(sizes.idxmax())
        rows = c[c["cohort"].astype(str) == biggest].sort_values("age")
        text = (
            f"The largest cohort, {_name(data, biggest)}, brought "
            f"{fmt.plural(sizes.max(), 'new customer')}"
        )
        second = rows[rows["age"] == 1]
        if len(second) and not is_missing(second["active_share"].iloc[0]):
            share = fmt.percent(second["active_share"].iloc[0])
            text += f"; {share} of them bought again the {grain} after"
        last = rows.iloc[-1]
        if int(last["age"]) > 0 and not is_missing(last["revenue_per_member_cumulative"]):
            text += (
                f", and {fmt.plural(last['age'], grain)} on each had spent "
                f"{_money(data, last['revenue_per_member_cumulative'])} on average"
            )
        return [text + "."]


class RepeatSection(Section):
    """Repeat-customer rate and purchase frequency per period."""

    key = "repeat"
    title = "Repeat purchases"

    def html(self, data: ReportData, ctx: RenderContext) -> Markup:
        grain, s = _grain(data), data.summary
        intro = (
            f"The repeat-customer rate is the share of a {grain}'s buyers who ordered two or "
            f"more times within it; orders per buyer (purchase frequency) is orders ÷ distinct "
            "buyers. Both are naturally low for short periods such as days and weeks."
        )
        findings = [
            f"Over all time, {fmt.percent(s['lifetime_repeat_rate'])} of customers have ordered "
            f"more than once, at {fmt.number(s['purchase_frequency'], 2)} orders per customer on "
            "average."
        ]
        row = data.latest
        if row is not None and int(row["buyers"]) > 0:
            findings.append(
                f"In {_name(data, row['period'])}, {fmt.percent(row['repeat_rate'])} of the "
                f"{fmt.plural(row['buyers'], 'buyer')} ordered more than once, "
                f"{fmt.number(row['purchase_frequency'], 2)} orders each on average."
            )
        body = [ctx.chart(charts.repeat(data.periods, grain), "repeat")]
        return ctx.section(self, intro=intro, findings=findings, body=body)


class RevenueSection(Section):
    """Revenue and average order value per period."""

    key = "revenue"
    title = "Revenue and order value"

    def html(self, data: ReportData, ctx: RenderContext) -> Markup:
        grain, p = _grain(data), data.periods
        intro = (
            "Revenue is what customers paid, net of refunds; cancelled orders are left out. "
            "Average order value (AOV) is revenue ÷ orders."
        )
        findings = []
        row = data.latest
        if row is not None:
            findings.append(
                f"In {_name(data, row['period'])}, {fmt.plural(row['orders'], 'order')} brought "
                f"{_money(data, row['revenue'])}, {_money(data, row['average_order_value'])} per "
                "order."
            )
        done = p[~p["partial"].astype(bool) & p["revenue"].notna()]
        if len(done) >= 2:
            best = done.loc[done["revenue"].idxmax()]
            findings.append(
                f"The strongest complete {grain} was {_name(data, best['period'])}, with "
                f"{_money(data, best['revenue'])}."
            )
        findings += _partial_notes(data)
        body = [ctx.chart(charts.revenue(p, grain, _currency(data)), "revenue")]
        return ctx.section(self, intro=intro, findings=findings, body=body)


class ConcentrationSection(Section):
    """The Lorenz curve of revenue over customers, with the top-20 % point."""

    key = "concentration"
    title = "Revenue concentration"
    json_key = "concentration"

    def document(self, data: ReportData) -> Any:
        return {
            "top20_revenue_share": plain(data.summary["top20_revenue_share"], "rate"),
            "lorenz": records(data.concentration, CONCENTRATION_COLUMNS, None),
        }

    def tables(self, data: ReportData) -> dict[str, pd.DataFrame]:
        return {"concentration": plain_frame(data.concentration, CONCENTRATION_COLUMNS, None)}

    def html(self, data: ReportData, ctx: RenderContext) -> Markup:
        share = data.summary["top20_revenue_share"]
        intro = (
            "Customers are ranked from the biggest spender down; the curve shows the share of "
            "revenue the top x % of them bring. The dashed diagonal is a shop where everyone "
            "spends the same: the further the curve bulges above it, the more revenue depends "
            "on a few customers."
        )
        findings = []
        if not is_missing(share):
            compare = "above" if share > 0.8 else "below" if share < 0.8 else "exactly at"
            findings.append(
                f"The top 20 % of customers bring {fmt.percent(share)} of revenue, {compare} the "
                "80/20 rule of thumb."
            )
        body = [ctx.chart(charts.lorenz(data.concentration, share), "concentration")]
        return ctx.section(self, intro=intro, findings=findings, body=body)


class TenureSection(Section):
    """Spend per customer by tenure band."""

    key = "tenure"
    title = "Spend by tenure"
    json_key = "tenure"

    def available(self, data: ReportData) -> bool:
        return not data.tenure.empty

    def document(self, data: ReportData) -> Any:
        return records(data.tenure, TENURE_COLUMNS, _currency(data))

    def tables(self, data: ReportData) -> dict[str, pd.DataFrame]:
        return {"tenure": plain_frame(data.tenure, TENURE_COLUMNS, _currency(data))}

    def html(self, data: ReportData, ctx: RenderContext) -> Markup:
        t = data.tenure
        intro = (
            "Tenure is the time since a customer's first order. Each bar is the spend per "
            "customer of that band; hover for its customers and revenue. Bars rising to the "
            "right mean customers become more valuable the longer they stay."
        )
        findings = []
        spend = t["spend_per_customer"].astype(float)
        if spend.notna().any():
            top = t.loc[spend.idxmax()]
            findings.append(
                f"Customers in the {top['tenure_band']} band spend the most: "
                f"{_money(data, top['spend_per_customer'])} each "
                f"({fmt.plural(top['customers'], 'customer')})."
            )
        body = [ctx.chart(charts.tenure(t, _currency(data)), "tenure")]
        return ctx.section(self, intro=intro, findings=findings, body=body)


class DaysBetweenSection(Section):
    """Histogram of days between consecutive orders, with its quartiles."""

    key = "days-between-orders"
    title = "Time between orders"
    json_key = "days_between_orders"

    def document(self, data: ReportData) -> Any:
        s = data.summary
        return {
            "q1": plain(s["days_between_orders_q1"], "number"),
            "median": plain(s["median_days_between_orders"], "number"),
            "q3": plain(s["days_between_orders_q3"], "number"),
            "buckets": records(data.days_between_orders, DAYS_BETWEEN_COLUMNS, None),
        }

    def tables(self, data: ReportData) -> dict[str, pd.DataFrame]:
        frame = plain_frame(data.days_between_orders, DAYS_BETWEEN_COLUMNS, None)
        return {"days_between_orders": frame}

    def html(self, data: ReportData, ctx: RenderContext) -> Markup:
        s = data.summary
        intro = (
            "How long customers take to come back: the days between each order and the same "
            "customer's previous one. Use it to time reorder reminders and win-back messages, "
            f"and to check the {_window(data)}-day activity window."
        )
        findings = []
        if not is_missing(s["median_days_between_orders"]):
            findings.append(
                f"Half of repeat orders come within {fmt.days(s['median_days_between_orders'])} "
                f"days of the previous one; a quarter within "
                f"{fmt.days(s['days_between_orders_q1'])} days and three quarters within "
                f"{fmt.days(s['days_between_orders_q3'])} days."
            )
            q3 = s["days_between_orders_q3"]
            if not is_missing(q3) and float(q3) > float(data.meta["active_window_days"]):
                findings.append(
                    f"A quarter of repeat orders come more than {fmt.days(q3)} days later, "
                    "beyond the activity window: some customers counted as lost are only slow."
                )
        else:
            findings.append("No customer has ordered twice yet.")
        body = [ctx.chart(charts.days_between(data.days_between_orders), "days-between-orders")]
        return ctx.section(self, intro=intro, findings=findings, body=body)


class NpsSection(Section):
    """NPS per period with its 95 % interval; a note when there are no survey answers."""

    key = "nps"
    title = "Net Promoter Score"
    json_key = "nps"
    absent_note = (
        "No survey answers were in the data, so there is no NPS. Import survey responses "
        "(scores 0–10) to see it here."
    )

    def available(self, data: ReportData) -> bool:
        return data.nps is not None

    def document(self, data: ReportData) -> Any:
        assert data.nps is not None
        s = data.summary
        return {
            "overall": {
                "nps": plain(s["nps"], "points"),
                "responses": plain(s["nps_responses"], "int"),
                "ci_low": plain(s["nps_ci_low"], "points"),
                "ci_high": plain(s["nps_ci_high"], "points"),
            },
            "periods": records(data.nps, NPS_COLUMNS, None),
        }

    def tables(self, data: ReportData) -> dict[str, pd.DataFrame]:
        assert data.nps is not None
        return {"nps": plain_frame(data.nps, NPS_COLUMNS, None)}

    def html(self, data: ReportData, ctx: RenderContext) -> Markup:
        assert data.nps is not None
        s = data.summary
        intro = (
            "Customers answer “How likely are you to recommend us?” from 0 to 10: promoters "
            "answer 9–10, passives 7–8, detractors 0–6. NPS = % promoters − % detractors, from "
            "−100 to +100. The shaded band is the 95 % interval: with few answers it is wide, "
            "and moves inside it may be chance."
        )
        findings = [
            f"Overall NPS is {fmt.points(s['nps'])} from "
            f"{fmt.plural(s['nps_responses'], 'answer')} (95 % interval "
            f"{fmt.points(s['nps_ci_low'])} to {fmt.points(s['nps_ci_high'])})."
        ]
        body = [ctx.chart(charts.nps(data.nps, _grain(data)), "nps")]
        return ctx.section(self, intro=intro, findings=findings, body=body)


#: The glossary: each metric in plain words ({window} is the activity window in days).
GLOSSARY: tuple[tuple[str, str], ...] = (
    (
        "Active customer",
        "Someone with a completed order in the {window} days before a given moment. Cancelled "
        "and fully refunded orders do not count.",
    ),
    ("New customer", "A customer whose first completed order falls in the period."),
    (
        "Customer retention rate (CRR)",
        "(Active at the end − new in the period) ÷ active at the start. The standard formula: "
        "it counts customers who lapsed and came back within the period as retained.",
    ),
    ("Retained", "Active at the start of the period and still active at its end."),
    (
        "Came back (reactivated)",
        "Active at the end of the period, not new, but not active at its start: a lapsed "
        "customer who ordered again.",
    ),
    (
        "Exact retention",
        "Retained ÷ active at the start: only the customers who never lapsed.",
    ),
    (
        "Churn rate",
        "Lost ÷ active at the start = 1 − exact retention. Lost means active at the start and "
        "no longer active at the end.",
    ),
    ("Buyers", "Distinct customers with an order in the period."),
    (
        "Repeat-customer rate",
        "In a period: the share of its buyers with two or more orders in it. Over all time: "
        "the share of all customers who ever ordered twice or more.",
    ),
    ("Purchase frequency", "Orders ÷ distinct buyers."),
    ("Average order value (AOV)", "Revenue ÷ orders."),
    ("Revenue", "Order amounts net of refunds, completed orders only."),
    ("Historical customer value", "What a customer has spent to date, net of refunds."),
    (
        "Cohort",
        "The customers acquired (first order) in the same period, followed over the periods after.",
    ),
    (
        "Revenue concentration",
        "The share of revenue that comes from the top x % of customers (the Lorenz curve).",
    ),
    ("Tenure", "Time since a customer's first order."),
    (
        "Net Promoter Score (NPS)",
        "% of answers 9–10 (promoters) − % of answers 0–6 (detractors), with a 95 % interval.",
    ),
    (
        "Partial period",
        "A period the data ends inside; its numbers will change as more orders come in.",
    ),
    ("“–” in a table", "Undefined: for example a rate with no active customers at the start."),
)


class GlossarySection(Section):
    """The metric definitions in plain words."""

    key = "glossary"
    title = "What the numbers mean"

    def html(self, data: ReportData, ctx: RenderContext) -> Markup:
        terms = [(term, text.format(window=_window(data))) for term, text in GLOSSARY]
        body = [ctx.render("glossary.html.j2", terms=terms)]
        intro = (
            f"Periods are {_grain(data)}s in the {data.meta['timezone']} time zone, each from "
            "its first moment up to (not including) the next period's first moment."
        )
        return ctx.section(self, intro=intro, body=body)


#: The period table's columns for people: (column, heading, formatter kind).
TABLE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("customers_start", "Active at start", "int"),
    ("customers_end", "Active at end", "int"),
    ("new_customers", "New", "int"),
    ("retained", "Retained", "int"),
    ("reactivated", "Came back", "int"),
    ("lost", "Lost", "int"),
    ("crr", "CRR", "rate"),
    ("exact_retention", "Exact retention", "rate"),
    ("churn_rate", "Churn", "rate"),
    ("buyers", "Buyers", "int"),
    ("orders", "Orders", "int"),
    ("revenue", "Revenue", "money"),
    ("average_order_value", "Avg. order", "money"),
    ("purchase_frequency", "Orders per buyer", "number"),
    ("repeat_rate", "Repeat rate", "rate"),
)


def cell(value: object, kind: str, currency: str | None) -> str:
    """One period-table value for people: counts grouped, rates in %, money with currency."""
    if kind == "int":
        return fmt.count(value)
    if kind == "rate":
        return fmt.percent(value)
    if kind == "money":
        return fmt.money(value, currency)
    return fmt.number(value, 2)


class PeriodTableSection(Section):
    """Every number behind the charts, one row per period."""

    key = "period-table"
    title = "The period table"
    json_key = "periods"

    def document(self, data: ReportData) -> Any:
        return records(data.periods, PERIOD_COLUMNS, _currency(data))

    def tables(self, data: ReportData) -> dict[str, pd.DataFrame]:
        return {"periods": plain_frame(data.periods, PERIOD_COLUMNS, _currency(data))}

    def html(self, data: ReportData, ctx: RenderContext) -> Markup:
        currency = _currency(data)
        rows = [
            {
                "period": str(row["period"]),
                "partial": bool(row["partial"]),
                "cells": [cell(row[col], kind, currency) for col, _, kind in TABLE_COLUMNS],
            }
            for _, row in data.periods.iterrows()
        ]
        headings = [heading for _, heading, _ in TABLE_COLUMNS]
        intro = (
            "Every number behind the charts. Rows marked partial are periods the data ends "
            "inside; “–” means undefined, for example a rate with no active customers at the "
            "start. The JSON and CSV outputs hold the same numbers."
        )
        body = [ctx.render("period_table.html.j2", headings=headings, rows=rows)]
        return ctx.section(self, intro=intro, body=body)


#: Built-in sections before the extra ones and after them.
LEADING: tuple[Section, ...] = (
    RetentionSection(),
    FlowSection(),
    CohortSection(),
    RepeatSection(),
    RevenueSection(),
    ConcentrationSection(),
    TenureSection(),
    DaysBetweenSection(),
    NpsSection(),
)
TRAILING: tuple[Section, ...] = (GlossarySection(), PeriodTableSection())

#: The order of the built-in keys in the JSON document; extra sections' keys follow.
JSON_ORDER = ("periods", "cohorts", "concentration", "tenure", "days_between_orders", "nps")


def report_sections(data: ReportData) -> list[Section]:
    """All sections of one report in page order: built-in, then ``extra_sections``, then the
    glossary and the period table."""
    return [*LEADING, *data.extra_sections, *TRAILING]


def json_sections(data: ReportData) -> list[Section]:
    """The sections that fill a JSON key, built-in keys first in :data:`JSON_ORDER`."""
    keyed = [s for s in report_sections(data) if s.json_key]
    rank = {key: i for i, key in enumerate(JSON_ORDER)}
    return sorted(keyed, key=lambda s: rank.get(s.json_key or "", len(rank)))
