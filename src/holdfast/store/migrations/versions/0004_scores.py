"""Customer scores: scoring runs and one row per customer and run

Revision ID: 0004_scores
Revises: 0003_coupons
Create Date: 2026-12-01 07:55:26.097913
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_scores"
down_revision = "0003_coupons"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "score_runs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("model", sa.String(length=32), nullable=True),
        sa.Column("parameters", sa.Text(), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("customers", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint("customers >= 0", name=op.f("ck_score_runs_customers_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_runs")),
        sa.UniqueConstraint("as_of", name=op.f("uq_score_runs_as_of")),
    )
    op.create_table(
        "customer_scores",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
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
        sa.CheckConstraint(
            "segment IN ('New', 'Promising', 'Champions', 'Loyal', 'Potential loyalists', "
            "'Need attention', 'Can''t lose them', 'At risk', 'Hibernating', 'Lost')",
            name=op.f("ck_customer_scores_segment_known"),
        ),
        sa.CheckConstraint(
            "stage IN ('new', 'active', 'reactivated', 'at risk', 'lapsed', 'churned')",
            name=op.f("ck_customer_scores_stage_known"),
        ),
        sa.CheckConstraint(
            "expected_purchases IS NULL OR expected_purchases >= 0",
            name=op.f("ck_customer_scores_expected_purchases_not_negative"),
        ),
        sa.CheckConstraint(
            "f_score BETWEEN 1 AND 10", name=op.f("ck_customer_scores_f_score_range")
        ),
        sa.CheckConstraint(
            "m_score BETWEEN 1 AND 10", name=op.f("ck_customer_scores_m_score_range")
        ),
        sa.CheckConstraint(
            "orders >= 1 AND recency_days >= 0", name=op.f("ck_customer_scores_history_sane")
        ),
        sa.CheckConstraint(
            "p_alive IS NULL OR (p_alive >= 0 AND p_alive <= 1)",
            name=op.f("ck_customer_scores_p_alive_range"),
        ),
        sa.CheckConstraint(
            "predicted_value_minor IS NULL OR predicted_value_minor >= 0",
            name=op.f("ck_customer_scores_predicted_value_not_negative"),
        ),
        sa.CheckConstraint(
            "r_score BETWEEN 1 AND 10", name=op.f("ck_customer_scores_r_score_range")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_scores_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["score_runs.id"],
            name=op.f("fk_customer_scores_run_id_score_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_scores")),
        sa.UniqueConstraint(
            "run_id", "customer_id", name=op.f("uq_customer_scores_run_id_customer_id")
        ),
    )
    with op.batch_alter_table("customer_scores", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_scores_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index("ix_customer_scores_run_segment", ["run_id", "segment"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("customer_scores", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_scores_run_segment")
        batch_op.drop_index(batch_op.f("ix_customer_scores_customer_id"))

    op.drop_table("customer_scores")
    op.drop_table("score_runs")
