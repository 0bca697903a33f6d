"""Plotly figures of the forecast section: tables in, ``go.Figure`` out, in the report's look."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from holdfast.report.charts import COLOURS, MUTED, layout
from holdfast.report.fmt import money_affixes

#: "weekly points" and the like, by time unit.
ADVERB = {"day": "daily", "week": "weekly", "month": "monthly"}
EXPECTED = "#1d4ed8"
ACTUAL = "#ea580c"


def _floats(series: pd.Series) -> list[float | None]:
    return [None if pd.isna(v) else float(v) for v in series]


def alive_bands(bands: pd.DataFrame, horizon: str, currency: str | None) -> go.Figure:
    """Customers per P(alive) band as bars, the band's expected revenue in the horizon as a line."""
    prefix, suffix = money_affixes(currency)
    x = [str(b) for b in bands["band"]]
    fig = go.Figure()
    fig.add_bar(
        x=x,
        y=bands["customers"].astype(int).tolist(),
        name="customers",
        marker={"color": COLOURS["bars"]},
        customdata=_floats(bands["expected_purchases"]),
        hovertemplate="%{y:,} customers, expected to buy %{customdata:,.0f} times<extra></extra>",
    )
    fig.add_scatter(
        x=x,
        y=_floats(bands["expected_revenue"]),
        name=f"expected revenue, next {horizon}",
        mode="lines+markers",
        line={"color": COLOURS["aov"], "width": 2.5},
        yaxis="y2",
        hovertemplate=f"{prefix}%{{y:,.0f}}{suffix} expected<extra></extra>",
    )
    fig.update_layout(
        layout(
            "Customers by chance of still being a customer",
            xaxis={
                "type": "category",
                "title": {"text": "P(alive): chance they are still a customer"},
            },
            yaxis={"title": {"text": "customers"}, "tickformat": ",d", "rangemode": "tozero"},
            yaxis2={
                "title": {"text": "expected revenue", "font": {"size": 12, "color": MUTED}},
                "overlaying": "y",
                "side": "right",
                "showgrid": False,
                "rangemode": "tozero",
                "tickprefix": prefix,
                "ticksuffix": suffix,
                "tickformat": ",.0f",
                "automargin": True,
            },
            margin={"l": 64, "r": 64, "t": 80, "b": 56},
        )
    )
    return fig


def tracking(frame: pd.DataFrame, unit: str) -> go.Figure:
    """Cumulative repeat purchases, actual and expected, across calibration and holdout."""
    dates = [str(d) for d in frame["date"]]
    fig = go.Figure()
    fig.add_scatter(
        x=dates,
        y=_floats(frame["actual"]),
        name="actual",
        mode="lines",
        line={"color": ACTUAL, "width": 2.5},
        hovertemplate="%{y:,.0f} repeat purchases made<extra></extra>",
    )
    fig.add_scatter(
        x=dates,
        y=_floats(frame["expected"]),
        name="model",
        mode="lines",
        line={"color": EXPECTED, "width": 2, "dash": "dash"},
        hovertemplate="%{y:,.0f} expected by the model<extra></extra>",
    )
    split = frame.loc[frame["t"] >= 0, "date"]
    if len(split):
        fig.add_vline(x=str(split.iloc[0]), line={"color": MUTED, "dash": "dot", "width": 1})
        fig.add_annotation(
            x=str(split.iloc[0]),
            y=1,
            yref="paper",
            text="calibration ends: holdout →",
            showarrow=False,
            xanchor="left",
            font={"size": 11, "color": MUTED},
        )
    fig.update_layout(
        layout(
            "Repeat purchases so far: the model against what happened",
            xaxis={"type": "date", "title": {"text": f"date ({ADVERB.get(unit, unit)} points)"}},
            yaxis={"title": {"text": "cumulative repeat purchases"}, "tickformat": ",d"},
        )
    )
    return fig


def by_frequency(frame: pd.DataFrame, horizon: str) -> go.Figure:
    """Mean holdout purchases by calibration purchase count: actual against the model."""
    x = [str(f) for f in frame["frequency"]]
    custom = frame["customers"].astype(int).tolist()
    fig = go.Figure()
    for column, name, colour in (
        ("actual", "actual", ACTUAL),
        ("predicted", "model", EXPECTED),
    ):
        fig.add_bar(
            x=x,
            y=_floats(frame[column]),
            name=name,
            marker={"color": colour, "opacity": 0.85},
            customdata=custom,
            hovertemplate=f"{name}: %{{y:.2f}} purchases per customer "
            "(%{customdata:,} customers)<extra></extra>",
        )
    fig.update_layout(
        layout(
            f"Purchases in the holdout ({horizon}) by purchases before it",
            barmode="group",
            xaxis={"type": "category", "title": {"text": "repeat purchases in calibration"}},
            yaxis={"title": {"text": "purchases per customer in the holdout"}},
        )
    )
    return fig


def errors(frame: pd.DataFrame) -> go.Figure:
    """Customers by holdout error (expected minus actual purchases, rounded) as bars."""
    fig = go.Figure()
    fig.add_bar(
        x=[str(v) for v in frame["label"]],
        y=frame["customers"].astype(int).tolist(),
        marker={"color": [EXPECTED if e == 0 else COLOURS["bars"] for e in frame["error"]]},
        hovertemplate="%{y:,} customers<extra></extra>",
        name="customers",
    )
    fig.update_layout(
        layout(
            "Per-customer error in the holdout",
            xaxis={
                "type": "category",
                "title": {
                    "text": "expected minus actual purchases (below 0: the model expected too few)"
                },
            },
            yaxis={"title": {"text": "customers"}, "tickformat": ",d", "rangemode": "tozero"},
            showlegend=False,
        )
    )
    return fig
