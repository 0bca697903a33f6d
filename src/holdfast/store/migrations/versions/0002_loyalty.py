"""Loyalty: points ledger, members, tiers

Revision ID: 0002_loyalty
Revises: 0001_core
Create Date: 2026-11-23 09:28:03.604008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_loyalty"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "loyalty_programs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "loaded_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_programs")),
    )
    op.create_table(
        "loyalty_requests",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("operation", sa.String(length=32), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_loyalty_requests")),
    )
    op.create_table(
        "loyalty_accounts",
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("balance", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("joined_at", sa.DateTime(), nullable=True),
        sa.Column("tier", sa.String(length=64), nullable=True),
        sa.Column("tier_since", sa.DateTime(), nullable=True),
        sa.CheckConstraint("balance >= 0", name=op.f("ck_loyalty_accounts_balance_not_negative")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_loyalty_accounts_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_loyalty_accounts")),
    )
    op.create_table(
        "loyalty_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=255), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("basis_minor", sa.BigInteger(), nullable=True),
        sa.Column(
            "reverses_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("request_key", sa.String(length=255), nullable=True),
        sa.Column("effective_at", sa.DateTime(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(kind <> 'earn' OR points > 0) AND (kind NOT IN ('redeem', 'expire') OR points < 0)",
            name=op.f("ck_loyalty_entries_sign_matches_kind"),
        ),
        sa.CheckConstraint(
            "kind IN ('earn', 'redeem', 'expire', 'adjust', 'reverse')",
            name=op.f("ck_loyalty_entries_kind_known"),
        ),
        sa.CheckConstraint("points <> 0", name=op.f("ck_loyalty_entries_points_not_zero")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_loyalty_entries_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_loyalty_entries_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["request_key"],
            ["loyalty_requests.key"],
            name=op.f("fk_loyalty_entries_request_key_loyalty_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["loyalty_entries.id"],
            name=op.f("fk_loyalty_entries_reverses_id_loyalty_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_entries")),
        sa.UniqueConstraint("request_key", name=op.f("uq_loyalty_entries_request_key")),
    )
    with op.batch_alter_table("loyalty_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_loyalty_entries_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_loyalty_entries_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_loyalty_entries_reverses_id"), ["reverses_id"], unique=False
        )

    op.create_table(
        "loyalty_lots",
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("remaining", sa.BigInteger(), nullable=False),
        sa.Column("earned_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("points > 0", name=op.f("ck_loyalty_lots_points_positive")),
        sa.CheckConstraint(
            "remaining >= 0 AND remaining <= points",
            name=op.f("ck_loyalty_lots_remaining_within_points"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_loyalty_lots_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["loyalty_entries.id"],
            name=op.f("fk_loyalty_lots_entry_id_loyalty_entries"),
        ),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_loyalty_lots")),
    )
    with op.batch_alter_table("loyalty_lots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_loyalty_lots_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_loyalty_lots_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "loyalty_allocations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lot_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("points <> 0", name=op.f("ck_loyalty_allocations_points_not_zero")),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["loyalty_entries.id"],
            name=op.f("fk_loyalty_allocations_entry_id_loyalty_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["loyalty_lots.entry_id"],
            name=op.f("fk_loyalty_allocations_lot_id_loyalty_lots"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_allocations")),
        sa.UniqueConstraint(
            "entry_id", "lot_id", name=op.f("uq_loyalty_allocations_entry_id_lot_id")
        ),
    )
    with op.batch_alter_table("loyalty_allocations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loyalty_allocations_lot_id"), ["lot_id"], unique=False)
    op.create_table(
        "loyalty_tier_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("from_tier", sa.String(length=64), nullable=True),
        sa.Column("to_tier", sa.String(length=64), nullable=False),
        sa.Column("qualifying", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_loyalty_tier_changes_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_tier_changes")),
        sa.UniqueConstraint(
            "customer_id", "changed_at", name=op.f("uq_loyalty_tier_changes_customer_id_changed_at")
        ),
    )


def downgrade() -> None:
    op.drop_table("loyalty_tier_changes")
    with op.batch_alter_table("loyalty_allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loyalty_allocations_lot_id"))

    op.drop_table("loyalty_allocations")
    with op.batch_alter_table("loyalty_lots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loyalty_lots_expires_at"))
        batch_op.drop_index(batch_op.f("ix_loyalty_lots_customer_id"))

    op.drop_table("loyalty_lots")
    with op.batch_alter_table("loyalty_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loyalty_entries_reverses_id"))
        batch_op.drop_index(batch_op.f("ix_loyalty_entries_order_id"))
        batch_op.drop_index(batch_op.f("ix_loyalty_entries_customer_id"))

    op.drop_table("loyalty_entries")
    op.drop_table("loyalty_accounts")
    op.drop_table("loyalty_requests")
    op.drop_table("loyalty_programs")
