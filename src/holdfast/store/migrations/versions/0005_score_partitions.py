"""Customer scores keyed by (run, customer), partitioned by run on PostgreSQL

The surrogate ``id`` goes: the primary key is (run_id, customer_id), which the UNIQUE
constraint was. On PostgreSQL the table is ``PARTITION BY LIST (run_id)``, one partition per
run (``customer_scores_run_<id>``), so a run is written into a table of its own and attached
(its indexes built once, its foreign keys checked by one query instead of a trigger per row).
Existing rows are copied run by run; SQLite rebuilds the table the same way.

Revision ID: 0005_score_partitions
Revises: 0004_scores
Create Date: 2026-12-01 14:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_score_partitions"
down_revision = "0004_scores"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
OLD = "customer_scores_0004"
NEW = "customer_scores_0005"
COLUMNS = (
    "run_id, customer_id, recency_days, orders, spend_minor, r_score, f_score, m_score, "
    "segment, stage, p_alive, expected_purchases, predicted_value_minor, expected_next_order, "
    "vip, recommendations"
)


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _checks() -> list[sa.CheckConstraint]:
    """The CHECK constraints of customer_scores, as 0004 wrote them (unchanged here)."""
    rules = {
        "segment_known": "segment IN ('New', 'Promising', 'Champions', 'Loyal', "
        "'Potential loyalists', 'Need attention', 'Can''t lose them', 'At risk', "
        "'Hibernating', 'Lost')",
        "stage_known": "stage IN ('new', 'active', 'reactivated', 'at risk', 'lapsed', 'churned')",
        "expected_purchases_not_negative": "expected_purchases IS NULL OR expected_purchases >= 0",
        "f_score_range": "f_score BETWEEN 1 AND 10",
        "m_score_range": "m_score BETWEEN 1 AND 10",
        "history_sane": "orders >= 1 AND recency_days >= 0",
        "p_alive_range": "p_alive IS NULL OR (p_alive >= 0 AND p_alive <= 1)",
        "predicted_value_not_negative": "predicted_value_minor IS NULL OR "
        "predicted_value_minor >= 0",
        "r_score_range": "r_score BETWEEN 1 AND 10",
    }
    return [
        sa.CheckConstraint(sql, name=op.f(f"ck_customer_scores_{name}"))
        for name, sql in rules.items()
    ]


def _columns() -> list[sa.Column]:
    """Every column but the key (and the old surrogate id)."""
    return [
        sa.Column("recency_days", sa.Integer(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("spend_minor", sa.BigInteger(), nullable=False),
        sa.Column("r_score", sa.SmallInteger(), nullable=False),
        sa.Column("f_score", sa.SmallInteger(), nullable=False),
        sa.Column("m_score", sa.SmallInteger(), nullable=False),
        sa.Column("segment", sa.String(length=32), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("p_alive", sa.Double(), nullable=True),
        sa.Column("expected_purchases", sa.Double(), nullable=True),
        sa.Column("predicted_value_minor", sa.BigInteger(), nullable=True),
        sa.Column("expected_next_order", sa.Date(), nullable=True),
        sa.Column("vip", sa.Boolean(), nullable=False),
        sa.Column("recommendations", sa.Text(), nullable=True),
    ]


def _foreign_keys() -> list[sa.ForeignKeyConstraint]:
    return [
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_scores_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["score_runs.id"],
            name=op.f("fk_customer_scores_run_id_score_runs"),
            ondelete="CASCADE",
        ),
    ]


def _create_indexes() -> None:
    op.create_index(op.f("ix_customer_scores_customer_id"), "customer_scores", ["customer_id"])
    op.create_index("ix_customer_scores_run_segment", "customer_scores", ["run_id", "segment"])


def _set_aside(name: str, keys: tuple[str, ...]) -> None:
    """Drop the named indexes of customer_scores and rename it (and, on PostgreSQL, its key
    constraints) to ``name``, so the new table can take every name."""
    op.drop_index("ix_customer_scores_run_segment", table_name="customer_scores")
    op.drop_index(op.f("ix_customer_scores_customer_id"), table_name="customer_scores")
    op.rename_table("customer_scores", name)
    if _postgres():  # index-backed constraint names are unique per schema there
        for key in keys:
            op.execute(f"ALTER TABLE {name} RENAME CONSTRAINT {key} TO {key}_old")


def _run_ids(table: str) -> list[int]:
    rows = op.get_bind().exec_driver_sql(f"SELECT DISTINCT run_id FROM {table} ORDER BY 1")
    return [int(row[0]) for row in rows]


def upgrade() -> None:
    _set_aside(OLD, ("pk_customer_scores", "uq_customer_scores_run_id_customer_id"))
    op.create_table(
        "customer_scores",
        sa.Column("run_id", BIG_ID, nullable=False),
        sa.Column("customer_id", BIG_ID, nullable=False),
        *_columns(),
        *_checks(),
        *_foreign_keys(),
        sa.PrimaryKeyConstraint("run_id", "customer_id", name=op.f("pk_customer_scores")),
        postgresql_partition_by="LIST (run_id)",
    )
    _create_indexes()
    if _postgres():
        for run_id in _run_ids(OLD):  # an integer: safe as part of a name and a literal
            op.execute(
                f"CREATE TABLE customer_scores_run_{run_id} PARTITION OF customer_scores "
                f"FOR VALUES IN ({run_id})"
            )
    op.execute(
        f"INSERT INTO customer_scores ({COLUMNS}) SELECT {COLUMNS} FROM {OLD} "
        "ORDER BY run_id, customer_id"
    )
    op.drop_table(OLD)


def downgrade() -> None:
    _set_aside(NEW, ("pk_customer_scores",))
    op.create_table(
        "customer_scores",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("run_id", BIG_ID, nullable=False),
        sa.Column("customer_id", BIG_ID, nullable=False),
        *_columns(),
        *_checks(),
        *_foreign_keys(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_scores")),
        sa.UniqueConstraint(
            "run_id", "customer_id", name=op.f("uq_customer_scores_run_id_customer_id")
        ),
    )
    _create_indexes()
    op.execute(
        f"INSERT INTO customer_scores ({COLUMNS}) SELECT {COLUMNS} FROM {NEW} "
        "ORDER BY run_id, customer_id"
    )
    op.drop_table(NEW)  # on PostgreSQL its partitions go with it
