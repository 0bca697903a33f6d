"""Customer scores: one scoring run per as-of date, one row per customer and run.

A run records the models it used (parameters as JSON, never pickle) and its settings; each score
row holds the customer's RFM scores and segment, lifecycle stage, P(alive), expected purchases,
predicted value (integer minor units), expected next order date and top recommendations (a JSON
list of product ids). Programs and campaigns select customers from here.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from holdfast.domain.lifecycle import STAGES
from holdfast.domain.segments import MAX_BINS, SEGMENT_NAMES
from holdfast.store.base import Base, BigId


def is_score_partition(name: str | None) -> bool:
    """True for a PostgreSQL partition of customer_scores (``customer_scores_run_<id>``), which
    the models do not list: schema comparisons skip them."""
    return bool(name) and re.fullmatch(r"customer_scores_run_\d+", name) is not None


def _one_of(column: str, names: tuple[str, ...]) -> str:
    quoted = ", ".join("'" + name.replace("'", "''") + "'" for name in names)
    return f"{column} IN ({quoted})"


class ScoreRun(Base):
    """One scoring of every customer as of a date; ``model`` is None when none could be fitted."""

    __tablename__ = "score_runs"
    __table_args__ = (CheckConstraint("customers >= 0", name="customers_not_negative"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    as_of: Mapped[date] = mapped_column(Date, unique=True)
    model: Mapped[str | None] = mapped_column(String(32))
    parameters: Mapped[str] = mapped_column(Text)
    settings: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    customers: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())


class CustomerScore(Base):
    """A customer's scores in one run, keyed by (run, customer).

    On PostgreSQL the table is partitioned by run: each run's rows are written into a table of
    their own, then attached (see ``holdfast.services.segments.write``).
    """

    __tablename__ = "customer_scores"
    __table_args__ = (
        CheckConstraint(f"r_score BETWEEN 1 AND {MAX_BINS}", name="r_score_range"),
        CheckConstraint(f"f_score BETWEEN 1 AND {MAX_BINS}", name="f_score_range"),
        CheckConstraint(f"m_score BETWEEN 1 AND {MAX_BINS}", name="m_score_range"),
        CheckConstraint(_one_of("segment", SEGMENT_NAMES), name="segment_known"),
        CheckConstraint(_one_of("stage", STAGES), name="stage_known"),
        CheckConstraint("p_alive IS NULL OR (p_alive >= 0 AND p_alive <= 1)", name="p_alive_range"),
        CheckConstraint(
            "expected_purchases IS NULL OR expected_purchases >= 0",
            name="expected_purchases_not_negative",
        ),
        CheckConstraint(
            "predicted_value_minor IS NULL OR predicted_value_minor >= 0",
            name="predicted_value_not_negative",
        ),
        CheckConstraint("orders >= 1 AND recency_days >= 0", name="history_sane"),
        Index("ix_customer_scores_run_segment", "run_id", "segment"),
        {"postgresql_partition_by": "LIST (run_id)"},
    )

    run_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("score_runs.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("customers.id"), primary_key=True, index=True
    )
    recency_days: Mapped[int] = mapped_column(Integer)
    orders: Mapped[int] = mapped_column(Integer)
    spend_minor: Mapped[int] = mapped_column(BigInteger)
    r_score: Mapped[int] = mapped_column(SmallInteger)
    f_score: Mapped[int] = mapped_column(SmallInteger)
    m_score: Mapped[int] = mapped_column(SmallInteger)
    segment: Mapped[str] = mapped_column(String(32))
    stage: Mapped[str] = mapped_column(String(16))
    p_alive: Mapped[float | None] = mapped_column(Double)
    expected_purchases: Mapped[float | None] = mapped_column(Double)
    predicted_value_minor: Mapped[int | None] = mapped_column(BigInteger)
    expected_next_order: Mapped[date | None] = mapped_column(Date)
    vip: Mapped[bool] = mapped_column(Boolean)
    recommendations: Mapped[str | None] = mapped_column(Text)
