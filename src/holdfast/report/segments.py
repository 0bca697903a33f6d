"""The report's "Segments" section: segment sizes over the scoring runs, value by segment,
stage transitions between the last two runs, and the top basket rules.

Pure presentation: ``services/segments/report_view.py`` reads the store's scores into a
:class:`SegmentsView`; append ``SegmentsSection(view)`` to ``ReportData.extra_sections``. Parts
the data cannot give (one run only: no transitions; no order lines: no rules) are left out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go
from markupsafe import Markup

from holdfast.report import fmt
from holdfast.report.charts import layout
from holdfast.report.data import Columns, ReportData
from holdfast.report.section import Section
from holdfast.report.values import plain_frame, records

if TYPE_CHECKING:
    from holdfast.report.html import RenderContext

#: Customers per segment and run (``as_of`` the run's date), segments in the rules' order.
SIZE_COLUMNS: Columns = (("as_of", "date"), ("segment", "label"), ("customers", "int"))
#: The latest run by segment: customers, their value (predicted or historical) and VIPs.
VALUE_COLUMNS: Columns = (
    ("segment", "label"),
    ("customers", "int"),
    ("value", "money"),
    ("vips", "int"),
)
#: Customers moving from a stage (earlier run) to a stage (latest run).
TRANSITION_COLUMNS: Columns = (("from", "label"), ("to", "label"), ("customers", "int"))
#: The strongest frequently-bought-together rules.
RULE_COLUMNS: Columns = (
    ("antecedent", "label"),
    ("consequent", "label"),
    ("support", "rate"),
    ("confidence", "rate"),
    ("lift", "number"),
)


@dataclass(frozen=True)
class SegmentsView:
    """Everything the section shows; tables have the ``*_COLUMNS`` above. ``value_kind`` is
    "predicted" or "historical"; ``earlier`` is the date of the run transitions start from."""

    as_of: dt.date
    currency: str | None
    value_kind: str
    sizes: pd.DataFrame
    by_segment: pd.DataFrame
    transitions: pd.DataFrame | None = None
    earlier: dt.date | None = None
    rules: pd.DataFrame | None = None
    note: str | None = None


def sizes_chart(sizes: pd.DataFrame) -> go.Figure:
    """Stacked bars: customers per segment at each run."""
    figure = go.Figure()
    for segment, rows in sizes.groupby("segment", sort=False):
        figure.add_bar(
            x=[str(d) for d in rows["as_of"]], y=rows["customers"].tolist(), name=str(segment)
        )
    figure.update_layout(**layout("Customers per segment at each scoring run", barmode="stack"))
    return figure


class SegmentsSection(Section):
    """Who is in which segment, what they are worth, how stages moved, what goes together."""

    key = "segments"
    title = "Segments"
    json_key = "segments"

    def __init__(self, view: SegmentsView):
        self.view = view

    def document(self, data: ReportData) -> Any:
        v, money = self.view, self.view.currency
        return {
            "as_of": v.as_of.isoformat(),
            "value_kind": v.value_kind,
            "note": v.note,
            "sizes": records(v.sizes, SIZE_COLUMNS, money),
            "by_segment": records(v.by_segment, VALUE_COLUMNS, money),
            "transitions": None
            if v.transitions is None
            else {
                "from": v.earlier.isoformat() if v.earlier else None,
                "rows": records(v.transitions, TRANSITION_COLUMNS, money),
            },
            "rules": None if v.rules is None else records(v.rules, RULE_COLUMNS, money),
        }

    def tables(self, data: ReportData) -> dict[str, pd.DataFrame]:
        v, money = self.view, self.view.currency
        out = {
            "segment_sizes": plain_frame(v.sizes, SIZE_COLUMNS, money),
            "segment_value": plain_frame(v.by_segment, VALUE_COLUMNS, money),
        }
        if v.transitions is not None:
            out["stage_transitions"] = plain_frame(v.transitions, TRANSITION_COLUMNS, money)
        if v.rules is not None:
            out["basket_rules"] = plain_frame(v.rules, RULE_COLUMNS, money)
        return out

    def findings(self) -> list[str]:
        """Sentences with the biggest segment, where the value is, and the top stage move."""
        v, out = self.view, []
        seg = v.by_segment
        if len(seg) and seg["customers"].sum() > 0:
            big = seg.sort_values("customers", ascending=False).iloc[0]
            rich = seg.sort_values("value", ascending=False).iloc[0]
            share = rich["value"] / seg["value"].sum() if seg["value"].sum() > 0 else 0.0
            out.append(
                f"{big['segment']} is the largest segment ({fmt.count(big['customers'])} "
                f"customers); {rich['segment']} holds {fmt.percent(share)} of the "
                f"{v.value_kind} value ({fmt.money(rich['value'], v.currency)})."
            )
        if v.transitions is not None:
            moved = v.transitions[v.transitions["from"] != v.transitions["to"]]
            if len(moved):
                top = moved.sort_values("customers", ascending=False).iloc[0]
                out.append(
                    f"Since {fmt.day(v.earlier)}, the largest move was {top['from']} → "
                    f"{top['to']}: {fmt.count(top['customers'])} customers."
                )
        return out

    def _table(self, ctx: RenderContext, frame: pd.DataFrame, columns: Columns) -> Markup:
        shown = plain_frame(frame, columns, self.view.currency)
        rows = [[_cell(value) for value in row] for row in shown.itertuples(index=False)]
        return ctx.render(
            "segments_table.html.j2", headings=[c.replace("_", " ") for c, _ in columns], rows=rows
        )

    def html(self, data: ReportData, ctx: RenderContext) -> Markup:
        v = self.view
        intro = (
            "Every customer is scored at each run: recency, frequency and spend scored 1–5 by "
            "rank, a named segment from recency and frequency, and a lifecycle stage from their "
            "own buying rhythm and the model's chance that they are still a customer "
            "(docs/segments.md). Value is "
            + (
                "the model's predicted value."
                if v.value_kind == "predicted"
                else "historical spend: the shop is too small to fit a model."
            )
        )
        body = [
            ctx.chart(sizes_chart(v.sizes), "segment-sizes"),
            self._table(ctx, v.by_segment, VALUE_COLUMNS),
        ]
        if v.transitions is not None:
            body.append(self._table(ctx, v.transitions, TRANSITION_COLUMNS))
        if v.rules is not None and len(v.rules):
            body.append(self._table(ctx, v.rules, RULE_COLUMNS))
        notes = [v.note] if v.note else []
        return ctx.section(self, intro=intro, findings=self.findings(), body=body, notes=notes)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return fmt.number(value, 3) if abs(value) < 10 else fmt.number(value, 2)
    return "–" if value is None else str(value)
