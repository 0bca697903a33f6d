"""Coupons and referrals: codes, batches, redemptions, referral rewards

Revision ID: 0003_coupons
Revises: 0002_loyalty
Create Date: 2026-12-01 07:51:03.669453
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_coupons"
down_revision = "0002_loyalty"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coupon_batches",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("batch_key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(length=32), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint("size > 0", name=op.f("ck_coupon_batches_size_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_batches")),
        sa.UniqueConstraint("batch_key", name=op.f("uq_coupon_batches_batch_key")),
    )
    op.create_table(
        "coupons",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("batch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("percent", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("free_shipping", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("min_order_minor", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("first_order_only", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("min_tier", sa.String(length=64), nullable=True),
        sa.Column("segment", sa.String(length=64), nullable=True),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("per_customer_limit", sa.Integer(), nullable=True),
        sa.Column("uses", sa.Integer(), server_default="0", nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("disabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("issue_key", sa.String(length=255), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(percent IS NOT NULL AND amount_minor IS NULL AND NOT free_shipping) OR "
            "(percent IS NULL AND amount_minor IS NOT NULL AND NOT free_shipping) OR "
            "(percent IS NULL AND amount_minor IS NULL AND free_shipping)",
            name=op.f("ck_coupons_one_discount"),
        ),
        sa.CheckConstraint(
            "amount_minor IS NULL OR amount_minor > 0", name=op.f("ck_coupons_amount_positive")
        ),
        sa.CheckConstraint(
            "max_uses IS NULL OR max_uses > 0", name=op.f("ck_coupons_max_uses_positive")
        ),
        sa.CheckConstraint("min_order_minor >= 0", name=op.f("ck_coupons_min_order_not_negative")),
        sa.CheckConstraint(
            "per_customer_limit IS NULL OR per_customer_limit > 0",
            name=op.f("ck_coupons_limit_positive"),
        ),
        sa.CheckConstraint(
            "percent IS NULL OR (percent > 0 AND percent <= 100)",
            name=op.f("ck_coupons_percent_range"),
        ),
        sa.CheckConstraint(
            "starts_at IS NULL OR expires_at IS NULL OR starts_at < expires_at",
            name=op.f("ck_coupons_window_ordered"),
        ),
        sa.CheckConstraint(
            "uses >= 0 AND (max_uses IS NULL OR uses <= max_uses)",
            name=op.f("ck_coupons_uses_within_max"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["coupon_batches.id"], name=op.f("fk_coupons_batch_id_coupon_batches")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_coupons_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupons")),
        sa.UniqueConstraint("code", name=op.f("uq_coupons_code")),
        sa.UniqueConstraint("issue_key", name=op.f("uq_coupons_issue_key")),
    )
    with op.batch_alter_table("coupons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coupons_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_coupons_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "identity_fingerprints",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.CheckConstraint(
            "kind IN ('email', 'phone', 'payment')",
            name=op.f("ck_identity_fingerprints_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_identity_fingerprints_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_fingerprints")),
        sa.UniqueConstraint(
            "kind",
            "digest",
            "customer_id",
            name=op.f("uq_identity_fingerprints_kind_digest_customer_id"),
        ),
    )
    with op.batch_alter_table("identity_fingerprints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identity_fingerprints_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "referral_codes",
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_referral_codes_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_referral_codes")),
        sa.UniqueConstraint("code", name=op.f("uq_referral_codes_code")),
    )
    op.create_table(
        "referrals",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "referrer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "friend_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("order_ref", sa.String(length=255), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("settled_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'rewarded', 'refused')", name=op.f("ck_referrals_status_known")
        ),
        sa.CheckConstraint("referrer_id <> friend_id", name=op.f("ck_referrals_not_self")),
        sa.ForeignKeyConstraint(
            ["friend_id"], ["customers.id"], name=op.f("fk_referrals_friend_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["referrer_id"], ["customers.id"], name=op.f("fk_referrals_referrer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint("friend_id", name=op.f("uq_referrals_friend_id")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referrals_referrer_id"), ["referrer_id"], unique=False)

    op.create_table(
        "coupon_redemptions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "coupon_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("order_ref", sa.String(length=255), nullable=False),
        sa.Column("active_order", sa.String(length=255), nullable=True),
        sa.Column("slot", sa.Integer(), nullable=True),
        sa.Column("order_minor", sa.BigInteger(), nullable=False),
        sa.Column("discount_minor", sa.BigInteger(), nullable=False),
        sa.Column("redeemed_at", sa.DateTime(), nullable=False),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "(released_at IS NULL) = (active_order IS NOT NULL)",
            name=op.f("ck_coupon_redemptions_active_has_order"),
        ),
        sa.CheckConstraint(
            "discount_minor >= 0", name=op.f("ck_coupon_redemptions_discount_not_negative")
        ),
        sa.CheckConstraint(
            "slot IS NULL OR slot > 0", name=op.f("ck_coupon_redemptions_slot_positive")
        ),
        sa.ForeignKeyConstraint(
            ["coupon_id"], ["coupons.id"], name=op.f("fk_coupon_redemptions_coupon_id_coupons")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_coupon_redemptions_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_redemptions")),
        sa.UniqueConstraint("active_order", name=op.f("uq_coupon_redemptions_active_order")),
        sa.UniqueConstraint("coupon_id", "slot", name=op.f("uq_coupon_redemptions_coupon_id_slot")),
    )
    with op.batch_alter_table("coupon_redemptions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_coupon_redemptions_coupon_customer", ["coupon_id", "customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_coupon_redemptions_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_coupon_redemptions_order_ref"), ["order_ref"], unique=False
        )

    op.create_table(
        "referral_rewards",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "referral_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "friend_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("points", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("points_key", sa.String(length=255), nullable=True),
        sa.Column("coupon_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("rewarded_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "side IN ('referrer', 'friend')", name=op.f("ck_referral_rewards_side_known")
        ),
        sa.CheckConstraint("points >= 0", name=op.f("ck_referral_rewards_points_not_negative")),
        sa.ForeignKeyConstraint(
            ["coupon_id"], ["coupons.id"], name=op.f("fk_referral_rewards_coupon_id_coupons")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_referral_rewards_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["friend_id"], ["customers.id"], name=op.f("fk_referral_rewards_friend_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_referral_rewards_referral_id_referrals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_rewards")),
        sa.UniqueConstraint("friend_id", "side", name=op.f("uq_referral_rewards_friend_id_side")),
    )
    with op.batch_alter_table("referral_rewards", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referral_rewards_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_referral_rewards_referral_id"), ["referral_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("referral_rewards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_rewards_referral_id"))
        batch_op.drop_index(batch_op.f("ix_referral_rewards_customer_id"))

    op.drop_table("referral_rewards")
    with op.batch_alter_table("coupon_redemptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coupon_redemptions_order_ref"))
        batch_op.drop_index(batch_op.f("ix_coupon_redemptions_customer_id"))
        batch_op.drop_index("ix_coupon_redemptions_coupon_customer")

    op.drop_table("coupon_redemptions")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referrals_referrer_id"))

    op.drop_table("referrals")
    op.drop_table("referral_codes")
    with op.batch_alter_table("identity_fingerprints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_fingerprints_customer_id"))

    op.drop_table("identity_fingerprints")
    with op.batch_alter_table("coupons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coupons_customer_id"))
        batch_op.drop_index(batch_op.f("ix_coupons_batch_id"))

    op.drop_table("coupons")
    op.drop_table("coupon_batches")
