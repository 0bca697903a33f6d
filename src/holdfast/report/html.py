"""The HTML report: one self-contained page (CSS and plotly.js inline) that works offline.

Templates autoescape everything (customer and file names are untrusted); only the chart blocks
plotly generates (its JSON escapes ``<``) and the bundled plotly.js are marked safe. Nothing
on the page loads from the network.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import plotly.graph_objects as go
import plotly.io as pio
import plotly.offline
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from holdfast.report import fmt
from holdfast.report.cards import cards
from holdfast.report.data import ReportData
from holdfast.report.section import Section
from holdfast.report.sections import report_sections

#: plotly's browser options for every chart: no logo link, crisp PNG export, and no "Share
#: chart" button (it would upload the shop's numbers to Plotly Cloud).
PLOTLY_CONFIG = {
    "displaylogo": False,
    "showSendToCloud": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}

CADENCE = {
    "day": "Daily",
    "week": "Weekly",
    "month": "Monthly",
    "quarter": "Quarterly",
    "year": "Yearly",
}


@functools.cache
def environment() -> Environment:
    """The Jinja environment of the report templates (autoescape on for every template)."""
    env = Environment(
        loader=PackageLoader("holdfast.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(count=fmt.count, percent=fmt.percent, day=fmt.day)
    return env


@functools.cache
def plotly_js() -> Markup:
    """The plotly.min.js of the installed plotly wheel, to inline once per page."""
    return Markup(plotly.offline.get_plotlyjs())


@dataclass
class RenderContext:
    """What a section needs to draw itself: the templates and chart embedding."""

    data: ReportData
    env: Environment = field(default_factory=environment)
    chart_ids: list[str] = field(default_factory=list)

    def render(self, template: str, **values: object) -> Markup:
        """A template of the report package rendered with ``values`` (autoescaped)."""
        return Markup(self.env.get_template(template).render(**values))

    def chart(self, figure: go.Figure, name: str, height: int | None = None) -> Markup:
        """The figure as a <div> and the script that draws it (plotly.js comes once per page)."""
        div_id = f"chart-{name}"
        if div_id in self.chart_ids:
            div_id = f"{div_id}-{len(self.chart_ids)}"
        self.chart_ids.append(div_id)
        height = height or int(figure.layout.height or 420)
        block = pio.to_html(
            figure,
            full_html=False,
            include_plotlyjs=False,
            include_mathjax=False,
            div_id=div_id,
            config=PLOTLY_CONFIG,
            default_height=f"{height}px",
            default_width="100%",
            validate=True,
        )
        return Markup('<figure class="chart">{}</figure>').format(Markup(block))

    def section(
        self,
        section: Section,
        *,
        intro: str = "",
        findings: list[str] | tuple[str, ...] = (),
        body: list[Markup] | tuple[Markup, ...] = (),
        notes: list[str] | tuple[str, ...] = (),
    ) -> Markup:
        """The standard section block: heading, how to read it, what the data says, charts."""
        return self.render(
            "section.html.j2",
            key=section.key,
            title=section.title,
            intro=intro,
            findings=findings,
            body=body,
            notes=notes,
        )


def render_html(data: ReportData) -> str:
    """The whole report page as one HTML string."""
    ctx = RenderContext(data)
    blocks, toc = [], []
    for section in report_sections(data):
        if section.available(data):
            blocks.append(section.html(data, ctx))
        elif section.absent_note:
            blocks.append(ctx.section(section, notes=[section.absent_note]))
        else:
            continue
        toc.append((section.key, section.title))
    meta, summary = data.meta, data.summary
    return ctx.render(
        "report.html.j2",
        meta=meta,
        cadence=CADENCE.get(meta["period"], str(meta["period"])),
        window=fmt.count(meta["active_window_days"]),
        generated=fmt.day(meta["generated_at"]) + " " + _clock(meta["generated_at"]),
        as_of=fmt.day(meta["as_of"]),
        first_order=fmt.day(summary["first_order"]),
        last_order=fmt.day(summary["last_order"]),
        cards=cards(data),
        toc=toc,
        blocks=blocks,
        plotly_js=plotly_js(),
    )


def _clock(value: object) -> str:
    stamp = getattr(value, "strftime", None)
    return stamp("%H:%M") if stamp and hasattr(value, "hour") else ""
