"""Plotly figures for the report: one function per chart, tables in, ``go.Figure`` out.

Charts share one quiet look (:func:`layout`): system fonts, light grid, hover boxes that show
every series of a period at once, and grouped thousands. Periods the data ends inside are
shaded and their points drawn hollow, so nobody reads an unfinished month as a drop.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from holdfast.report.fmt import MINUS, THIN, money_affixes

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#e5e7eb"

#: One colour per idea, the same on every chart.
COLOURS = {
    "crr": "#1d4ed8",
    "exact": "#0d9488",
    "churn": "#ea580c",
    "retained": "#3b82f6",
    "reactivated": "#8b5cf6",
    "new": "#10b981",
    "lost": "#f97316",
    "revenue": "#93c5fd",
    "aov": "#1e3a8a",
    "repeat": "#0d9488",
    "frequency": "#7c3aed",
    "lorenz": "#1d4ed8",
    "nps": "#0f766e",
    "bars": "#60a5fa",
}
PARTIAL_FILL = "rgba(148, 163, 184, 0.18)"
HEATMAP_SHARE = [[0, "#f7fbff"], [0.35, "#9ecae1"], [0.7, "#3182bd"], [1, "#08306b"]]
HEATMAP_MONEY = [[0, "#f7fcf5"], [0.35, "#a1d99b"], [0.7, "#31a354"], [1, "#00441b"]]


def layout(title: str, **overrides: Any) -> dict[str, Any]:
    """The shared layout; ``overrides`` are merged on top (axes merged key by key)."""
    axis = {
        "showgrid": True,
        "gridcolor": GRID,
        "zeroline": False,
        "linecolor": GRID,
        "ticks": "",
        "automargin": True,
        "title": {"font": {"size": 12, "color": MUTED}},
    }
    base: dict[str, Any] = {
        "template": "none",
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 16, "color": INK}},
        "font": {"family": FONT, "size": 12, "color": INK},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "margin": {"l": 64, "r": 24, "t": 64, "b": 56},
        "separators": "." + THIN,
        "hovermode": "x unified",
        "hoverlabel": {"font": {"family": FONT, "size": 12}, "bgcolor": "white"},
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "xanchor": "left", "yanchor": "bottom"},
        "xaxis": {**axis, "showgrid": False},
        "yaxis": dict(axis),
    }
    for key, value in overrides.items():
        if key.startswith(("xaxis", "yaxis")) and isinstance(value, dict):
            base[key] = {**base.get(key, axis), **value}
        else:
            base[key] = value
    return base


def period_axis(grain: str) -> dict[str, Any]:
    """An x axis of period labels, in order, with at most about 14 labels written out."""
    return {"type": "category", "title": {"text": grain}, "nticks": 14, "tickangle": 0}


def _labels(periods: pd.DataFrame) -> list[str]:
    return [str(p) for p in periods["period"]]


def _floats(series: pd.Series) -> list[float | None]:
    return [None if pd.isna(v) else float(v) for v in series]


def _partial(periods: pd.DataFrame) -> np.ndarray:
    return periods["partial"].astype(bool).to_numpy()


def shade_partial(fig: go.Figure, periods: pd.DataFrame) -> None:
    """Grey band and a "partial" label over every period the data ends inside."""
    for i in np.flatnonzero(_partial(periods)):
        fig.add_vrect(
            x0=i - 0.5,
            x1=i + 0.5,
            fillcolor=PARTIAL_FILL,
            line_width=0,
            layer="below",
            annotation_text="partial",
            annotation_position="top",
            annotation_font={"size": 11, "color": MUTED},
        )


def _mode(periods: pd.DataFrame) -> str:
    """Points on the lines while they can be told apart (up to 60 periods), lines alone after."""
    return "lines+markers" if len(periods) <= 60 else "lines"


def _symbols(periods: pd.DataFrame) -> list[str]:
    return ["circle-open" if p else "circle" for p in _partial(periods)]


def retention(periods: pd.DataFrame, grain: str) -> go.Figure:
    """CRR, exact retention and churn as lines (%), customers who came back as bars."""
    x = _labels(periods)
    flows = periods[["customers_start", "customers_end", "new_customers", "retained", "lost"]]
    custom = flows.to_numpy(dtype="int64")
    fig = go.Figure()
    fig.add_bar(
        x=x,
        y=periods["reactivated"].astype(int).tolist(),
        name="came back (reactivated)",
        marker={"color": COLOURS["reactivated"], "opacity": 0.35},
        yaxis="y2",
        hovertemplate="%{y:,} came back<extra></extra>",
    )
    lines = [
        (
            "crr",
            "CRR",
            COLOURS["crr"],
            "CRR %{y:.1%} = (%{customdata[1]:,} at end − %{customdata[2]:,} new)"
            " ÷ %{customdata[0]:,} at start",
        ),
        (
            "exact_retention",
            "exact retention",
            COLOURS["exact"],
            "exact retention %{y:.1%} = %{customdata[3]:,} retained ÷ %{customdata[0]:,}",
        ),
        (
            "churn_rate",
            "churn",
            COLOURS["churn"],
            "churn %{y:.1%} = %{customdata[4]:,} lost ÷ %{customdata[0]:,}",
        ),
    ]
    for column, name, colour, hover in lines:
        fig.add_scatter(
            x=x,
            y=_floats(periods[column]),
            name=name,
            mode=_mode(periods),
            line={"color": colour, "width": 2.5 if column == "crr" else 2},
            marker={"symbol": _symbols(periods), "size": 7, "color": colour},
            customdata=custom,
            hovertemplate=hover + "<extra></extra>",
        )
    shade_partial(fig, periods)
    fig.update_layout(
        layout(
            "Retention and churn by " + grain,
            xaxis=period_axis(grain),
            yaxis={
                "title": {"text": "share of customers active at the start"},
                "tickformat": ".0%",
                "range": [0, 1.04],
            },
            yaxis2={
                "title": {"text": "customers who came back", "font": {"size": 12, "color": MUTED}},
                "overlaying": "y",
                "side": "right",
                "showgrid": False,
                "tickmode": "auto",
                "nticks": 4,
                # the bars keep to the lower third, under the rate lines
                "range": [0, 3 * max(int(periods["reactivated"].max()), 1)],
                "tickformat": ",d",
                "automargin": True,
            },
            margin={"l": 64, "r": 64, "t": 80, "b": 56},
        )
    )
    return fig


def flow(periods: pd.DataFrame, grain: str) -> go.Figure:
    """Customers active at each period's end split into retained, came back and new; the lost
    hang below zero."""
    x = _labels(periods)
    opacity = [0.45 if p else 1.0 for p in _partial(periods)]
    fig = go.Figure()
    parts = [
        ("retained", "retained", 1),
        ("reactivated", "came back", 1),
        ("new_customers", "new", 1),
        ("lost", "lost", -1),
    ]
    for column, name, sign in parts:
        colour = COLOURS["new" if column == "new_customers" else column]
        values = periods[column].astype(int)
        fig.add_bar(
            x=x,
            y=(sign * values).tolist(),
            customdata=values.tolist(),
            name=name,
            marker={"color": colour, "opacity": opacity},
            hovertemplate=f"%{{customdata:,}} {name}<extra></extra>",
        )
    shade_partial(fig, periods)
    fig.update_layout(
        layout(
            "Where each " + grain + "'s customers came from, and who was lost",
            barmode="relative",
            bargap=0.25,
            xaxis=period_axis(grain),
            yaxis={"title": {"text": "customers"}, "tickformat": ",d", "zeroline": True},
        )
    )
    return fig


def cohort_heatmap(cohorts: pd.DataFrame, grain: str, currency: str | None) -> go.Figure:
    """Cohorts (rows) by age (columns): share buying, or cumulative revenue per member."""
    order = list(dict.fromkeys(str(c) for c in cohorts["cohort"]))
    frame = cohorts.assign(cohort=cohorts["cohort"].astype(str))
    share = frame.pivot(index="cohort", columns="age", values="active_share").reindex(order)
    money = frame.pivot(
        index="cohort", columns="age", values="revenue_per_member_cumulative"
    ).reindex(order)
    sizes = frame.groupby("cohort", sort=False)["cohort_size"].first().reindex(order)
    ages = [int(a) for a in share.columns]
    size_grid = np.repeat(sizes.to_numpy(dtype="int64")[:, None], len(ages), axis=1)
    show_text = share.size <= 600
    later = share.loc[:, [a for a in share.columns if a >= 1]]
    top_share = float(np.nanmax(later.to_numpy(dtype=float))) if later.notna().any().any() else 1
    prefix, suffix = money_affixes(currency)
    y = [f"{c} ({n:,})".replace(",", THIN) for c, n in zip(order, sizes, strict=True)]
    common = {"x": ages, "y": y, "xgap": 1, "ygap": 1, "customdata": size_grid}
    fig = go.Figure()
    fig.add_heatmap(
        z=_grid(share),
        colorscale=HEATMAP_SHARE,
        zmin=0,
        zmax=max(top_share, 0.01),
        texttemplate="%{z:.0%}" if show_text else None,
        textfont={"size": 10},
        colorbar={"title": {"text": "buying"}, "tickformat": ".0%", "thickness": 12},
        hovertemplate=f"cohort %{{y}}<br>{grain} %{{x}} after the first: "
        "%{z:.1%} bought<extra></extra>",
        name="share buying",
        **common,
    )
    fig.add_heatmap(
        z=_grid(money),
        colorscale=HEATMAP_MONEY,
        texttemplate=f"{prefix}%{{z:,.0f}}{suffix}" if show_text else None,
        textfont={"size": 10},
        colorbar={
            "title": {"text": "revenue"},
            "tickprefix": prefix,
            "ticksuffix": suffix,
            "thickness": 12,
        },
        hovertemplate=f"cohort %{{y}}<br>by {grain} %{{x}}: {prefix}%{{z:,.2f}}{suffix}"
        " per member<extra></extra>",
        name="revenue per member",
        visible=False,
        **common,
    )
    buttons = [
        {
            "label": "share of the cohort buying",
            "method": "update",
            "args": [{"visible": [True, False]}],
        },
        {
            "label": "revenue per member, cumulative",
            "method": "update",
            "args": [{"visible": [False, True]}],
        },
    ]
    fig.update_layout(
        layout(
            f"Cohorts by {grain}s since the first order",
            hovermode="closest",
            height=min(170 + 24 * len(order), 1400),
            xaxis={"dtick": 1, "side": "top", "showgrid": False},
            yaxis={
                "autorange": "reversed",
                "title": {"text": "first order in (customers)"},
                "showgrid": False,
                "type": "category",
            },
            margin={"l": 64, "r": 24, "t": 120, "b": 24},
            updatemenus=[
                {
                    "type": "buttons",
                    "direction": "right",
                    "buttons": buttons,
                    "x": 1,
                    "xanchor": "right",
                    "y": 1.0,
                    "yanchor": "bottom",
                    "pad": {"b": 30},
                    "bgcolor": "#f3f4f6",
                    "bordercolor": GRID,
                    "font": {"size": 11},
                    "showactive": True,
                }
            ],
        )
    )
    return fig


def _grid(frame: pd.DataFrame) -> list[list[float | None]]:
    return [[None if pd.isna(v) else float(v) for v in row] for row in frame.to_numpy(dtype=float)]


def repeat(periods: pd.DataFrame, grain: str) -> go.Figure:
    """Repeat-customer rate (%) and orders per buyer, per period."""
    x = _labels(periods)
    fig = go.Figure()
    fig.add_scatter(
        x=x,
        y=_floats(periods["repeat_rate"]),
        name="repeat-customer rate",
        mode=_mode(periods),
        line={"color": COLOURS["repeat"], "width": 2.5},
        marker={"symbol": _symbols(periods), "size": 7},
        hovertemplate="%{y:.1%} of buyers ordered twice or more<extra></extra>",
    )
    fig.add_scatter(
        x=x,
        y=_floats(periods["purchase_frequency"]),
        name="orders per buyer",
        mode=_mode(periods),
        line={"color": COLOURS["frequency"], "width": 2, "dash": "dot"},
        marker={"symbol": _symbols(periods), "size": 6},
        yaxis="y2",
        hovertemplate="%{y:.2f} orders per buyer<extra></extra>",
    )
    shade_partial(fig, periods)
    fig.update_layout(
        layout(
            "Repeat buyers and purchase frequency by " + grain,
            xaxis=period_axis(grain),
            yaxis={
                "title": {"text": "buyers with 2+ orders"},
                "tickformat": ".0%",
                "rangemode": "tozero",
            },
            yaxis2={
                "title": {"text": "orders per buyer", "font": {"size": 12, "color": MUTED}},
                "overlaying": "y",
                "side": "right",
                "showgrid": False,
                "tickmode": "auto",
                "rangemode": "tozero",
                "automargin": True,
            },
            margin={"l": 64, "r": 64, "t": 80, "b": 56},
        )
    )
    return fig


def revenue(periods: pd.DataFrame, grain: str, currency: str | None) -> go.Figure:
    """Revenue as bars and average order value as a line, per period."""
    x = _labels(periods)
    prefix, suffix = money_affixes(currency)
    opacity = [0.45 if p else 1.0 for p in _partial(periods)]
    fig = go.Figure()
    fig.add_bar(
        x=x,
        y=_floats(periods["revenue"]),
        customdata=periods["orders"].astype(int).tolist(),
        name="revenue",
        marker={"color": COLOURS["revenue"], "opacity": opacity},
        hovertemplate=f"revenue {prefix}%{{y:,.0f}}{suffix} from %{{customdata:,}} orders"
        "<extra></extra>",
    )
    fig.add_scatter(
        x=x,
        y=_floats(periods["average_order_value"]),
        name="average order value",
        mode=_mode(periods),
        line={"color": COLOURS["aov"], "width": 2.5},
        marker={"symbol": _symbols(periods), "size": 7},
        yaxis="y2",
        hovertemplate=f"average order {prefix}%{{y:,.2f}}{suffix}<extra></extra>",
    )
    shade_partial(fig, periods)
    fig.update_layout(
        layout(
            "Revenue and average order value by " + grain,
            xaxis=period_axis(grain),
            yaxis={
                "title": {"text": "revenue"},
                "tickprefix": prefix,
                "ticksuffix": suffix,
                "tickformat": ",.0f",
            },
            yaxis2={
                "title": {"text": "average order value", "font": {"size": 12, "color": MUTED}},
                "overlaying": "y",
                "side": "right",
                "showgrid": False,
                "tickmode": "auto",
                "rangemode": "tozero",
                "tickprefix": prefix,
                "ticksuffix": suffix,
                "tickformat": ",.2~f",
                "automargin": True,
            },
            margin={"l": 64, "r": 64, "t": 80, "b": 56},
        )
    )
    return fig


def lorenz(concentration: pd.DataFrame, top20: float | None) -> go.Figure:
    """The Lorenz curve turned round: the top x % of customers (biggest spenders first) bring
    y % of revenue. The diagonal is a shop where everyone spends the same."""
    x = 1 - concentration["customer_share"].astype(float).to_numpy()[::-1]
    y = 1 - concentration["revenue_share"].astype(float).to_numpy()[::-1]
    fig = go.Figure()
    fig.add_scatter(
        x=[0, 1],
        y=[0, 1],
        name="everyone spends the same",
        mode="lines",
        line={"color": MUTED, "dash": "dash", "width": 1},
        hoverinfo="skip",
    )
    fig.add_scatter(
        x=x.tolist(),
        y=y.tolist(),
        name="your customers",
        mode="lines",
        line={"color": COLOURS["lorenz"], "width": 3},
        fill="tonexty",
        fillcolor="rgba(29, 78, 216, 0.08)",
        hovertemplate="the top %{x:.0%} of customers bring %{y:.1%} of revenue<extra></extra>",
    )
    fig.add_scatter(
        x=[0.2],
        y=[0.8],
        name="the 80/20 rule",
        mode="markers+text",
        text=["80/20 rule"],
        textposition="middle left",
        textfont={"size": 11, "color": MUTED},
        marker={"symbol": "x-thin", "size": 12, "line": {"width": 2, "color": MUTED}},
        hovertemplate="80/20 rule: top 20 % bring 80 %<extra></extra>",
    )
    if top20 is not None and not pd.isna(top20):
        fig.add_scatter(
            x=[0.2],
            y=[float(top20)],
            name="your top 20 %",
            mode="markers",
            marker={"size": 12, "color": COLOURS["churn"], "line": {"width": 2, "color": "white"}},
            hovertemplate="your top 20 % bring %{y:.1%} of revenue<extra></extra>",
        )
        fig.add_annotation(
            x=0.2,
            y=float(top20),
            text=f"top 20 % → {100 * float(top20):.0f}{THIN}% of revenue",
            showarrow=True,
            arrowhead=0,
            ax=110,
            ay=25,
            xanchor="left",
            font={"size": 12, "color": INK},
            bgcolor="white",
        )
    fig.update_layout(
        layout(
            "Revenue concentration (Lorenz curve)",
            hovermode="closest",
            height=560,
            xaxis={
                "title": {"text": "share of customers, biggest spenders first"},
                "tickformat": ".0%",
                "range": [0, 1],
                "showgrid": True,
                "constrain": "domain",
            },
            yaxis={
                "title": {"text": "share of revenue"},
                "tickformat": ".0%",
                "range": [0, 1.02],
                "scaleanchor": "x",
                "scaleratio": 1,
                "constrain": "domain",
            },
            legend={
                "x": 0.98,
                "y": 0.04,
                "xanchor": "right",
                "yanchor": "bottom",
                "bgcolor": "rgba(255,255,255,0.8)",
            },
        )
    )
    return fig


def tenure(frame: pd.DataFrame, currency: str | None) -> go.Figure:
    """Spend per customer by tenure band, with the band's customers and revenue on hover."""
    prefix, suffix = money_affixes(currency)
    custom = np.column_stack(
        [frame["customers"].astype("int64"), frame["revenue"].astype(float).fillna(0)]
    )
    fig = go.Figure()
    fig.add_bar(
        x=[str(b) for b in frame["tenure_band"]],
        y=_floats(frame["spend_per_customer"]),
        customdata=custom,
        marker={"color": COLOURS["bars"]},
        texttemplate=f"{prefix}%{{y:,.0f}}{suffix}",
        textposition="outside",
        cliponaxis=False,
        hovertemplate=f"{prefix}%{{y:,.2f}}{suffix} per customer<br>"
        f"%{{customdata[0]:,}} customers, {prefix}%{{customdata[1]:,.0f}}{suffix} revenue"
        "<extra></extra>",
        name="spend per customer",
    )
    fig.update_layout(
        layout(
            "Spend per customer by tenure",
            hovermode="closest",
            showlegend=False,
            xaxis={"type": "category", "title": {"text": "time since the first order"}},
            yaxis={
                "title": {"text": "spend per customer"},
                "tickprefix": prefix,
                "ticksuffix": suffix,
                "tickformat": ",.0f",
                "rangemode": "tozero",
            },
        )
    )
    return fig


def days_between(frame: pd.DataFrame) -> go.Figure:
    """Histogram of the days between a customer's consecutive orders."""
    counts = frame["count"].astype("int64")
    total = int(counts.sum()) or 1
    fig = go.Figure()
    fig.add_bar(
        x=[str(b) for b in frame["bucket"]],
        y=counts.tolist(),
        customdata=(counts / total).tolist(),
        marker={"color": COLOURS["bars"]},
        hovertemplate="%{y:,} repeat orders (%{customdata:.1%}) came %{x} days after the "
        "previous one<extra></extra>",
        name="repeat orders",
    )
    fig.update_layout(
        layout(
            "Days between a customer's orders",
            hovermode="closest",
            showlegend=False,
            bargap=0.1,
            xaxis={"type": "category", "title": {"text": "days since the previous order"}},
            yaxis={"title": {"text": "repeat orders"}, "tickformat": ",d"},
        )
    )
    return fig


def nps(frame: pd.DataFrame, grain: str) -> go.Figure:
    """NPS per period with its 95 % interval as a band."""
    x = [str(p) for p in frame["period"]]
    custom = frame[["responses", "promoters", "passives", "detractors"]].to_numpy(dtype="int64")
    fig = go.Figure()
    fig.add_scatter(
        x=x,
        y=_floats(frame["ci_high"]),
        mode="lines",
        line={"width": 0},
        hoverinfo="skip",
        showlegend=False,
    )
    fig.add_scatter(
        x=x,
        y=_floats(frame["ci_low"]),
        mode="lines",
        line={"width": 0},
        fill="tonexty",
        fillcolor="rgba(15, 118, 110, 0.15)",
        name="95 % interval",
        customdata=np.column_stack([frame["ci_low"], frame["ci_high"]]),
        hovertemplate="95 % interval %{customdata[0]:+.0f} to %{customdata[1]:+.0f}<extra></extra>",
    )
    fig.add_scatter(
        x=x,
        y=_floats(frame["nps"]),
        name="NPS",
        mode="lines+markers",
        line={"color": COLOURS["nps"], "width": 2.5},
        marker={"size": 7},
        customdata=custom,
        hovertemplate="NPS %{y:+.0f} from %{customdata[0]:,} answers: %{customdata[1]:,} "
        "promoters, %{customdata[2]:,} passives, %{customdata[3]:,} detractors<extra></extra>",
    )
    fig.update_layout(
        layout(
            "Net Promoter Score by " + grain,
            xaxis=period_axis(grain),
            yaxis={
                "title": {"text": "NPS (points)"},
                "range": [-105, 105],
                "tickvals": [-100, -50, 0, 50, 100],
                "ticktext": [MINUS + "100", MINUS + "50", "0", "+50", "+100"],
                "zeroline": True,
                "zerolinecolor": MUTED,
            },
        )
    )
    return fig
