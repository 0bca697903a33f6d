"""The report's segments section from the store: sizes at every run, value by segment and the
stage transitions of the latest run, and the top basket rules as of that run."""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd
import sqlalchemy as sa

from holdfast.analytics.baskets import basket_rules
from holdfast.domain.segments import SEGMENT_NAMES
from holdfast.errors import UserError
from holdfast.report.segments import SegmentsSection, SegmentsView
from holdfast.services.metrics import frame_of
from holdfast.services.segments.lines import store_order_lines
from holdfast.services.segments.queries import (
    RUNS,
    SCORES,
    runs,
    segment_report,
    stage_transitions,
    store,
)
from holdfast.services.sources import ibis_url

TOP_RULES = 10


def _sizes(url: str) -> pd.DataFrame:
    with store(url) as (conn, _, _):
        query = (
            sa.select(RUNS.c.as_of, SCORES.c.segment, sa.func.count().label("customers"))
            .join(RUNS, RUNS.c.id == SCORES.c.run_id)
            .group_by(RUNS.c.as_of, SCORES.c.segment)
        )
        frame = pd.DataFrame(conn.execute(query).all(), columns=["as_of", "segment", "customers"])
    order = {name: i for i, name in enumerate(SEGMENT_NAMES)}
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    frame = frame.assign(rank=frame["segment"].map(order)).sort_values(["as_of", "rank"])
    return frame.drop(columns="rank").reset_index(drop=True)


def top_rules(con: ibis.BaseBackend, as_of: dt.date, n: int = TOP_RULES) -> pd.DataFrame | None:
    """The ``n`` rules of highest lift (then confidence) from the order lines up to ``as_of``."""
    lines = store_order_lines(con)
    lines = lines.filter(lines.order_date <= as_of)
    rules = basket_rules(lines)
    rules = rules.order_by([ibis.desc("lift"), ibis.desc("confidence"), "antecedent"]).limit(n)
    frame = frame_of(rules)
    return frame if len(frame) else None


def segments_section(url: str) -> SegmentsSection | None:
    """The section, or None when the store holds no scoring run."""
    with store(url) as (conn, _, _):
        if not runs(conn):
            return None
    report = segment_report(url)
    by_segment = pd.DataFrame(
        [(r.name, r.customers, r.value, r.vips) for r in report.rows],
        columns=["segment", "customers", "value", "vips"],
    )
    transitions = None
    if report.previous is not None:
        _, _, counts = stage_transitions(url, report.previous.as_of, report.run.as_of)
        transitions = pd.DataFrame(
            [(a, b, n) for (a, b), n in sorted(counts.items())], columns=["from", "to", "customers"]
        )
    con = ibis.connect(ibis_url(url))
    try:
        rules = top_rules(con, report.run.as_of)
    except UserError:
        rules = None
    finally:
        con.disconnect()
    view = SegmentsView(
        as_of=report.run.as_of,
        currency=report.currency,
        value_kind=report.value_kind,
        sizes=_sizes(url),
        by_segment=by_segment,
        transitions=transitions,
        earlier=None if report.previous is None else report.previous.as_of,
        rules=rules,
        note=report.run.note,
    )
    return SegmentsSection(view)
