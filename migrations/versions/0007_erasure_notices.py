"""erasure notices: the art. 19 log of `lead.erased` POSTs to CRMs and webhook subscribers

Revision ID: 0007_erasure_notices
Revises: 0006
Create Date: 2026-11-26 12:00:00

A branch off 0001 like every feature's (the lead engineer merges the heads); it needs
0005's `webhook_subscriptions` for its foreign key, hence `depends_on`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import nurture.models.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = nurture.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "erasure_notices",
        sa.Column("id", BigId, nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("subscription_id", BigId, nullable=True),
        sa.Column("target", sa.String(length=2000), nullable=False),
        sa.Column("identifiers", sa.JSON(), nullable=False),
        sa.Column("erased_at", UTC, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC, nullable=True),
        sa.Column("response_code", sa.Integer(), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("delivered_at", UTC, nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["webhook_subscriptions.id"],
            name=op.f("fk_erasure_notices_subscription_id_webhook_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_notices")),
        sa.UniqueConstraint("public_id", name=op.f("uq_erasure_notices_public_id")),
    )
    op.create_index(
        op.f("ix_erasure_notices_status_next_attempt_at"),
        "erasure_notices",
        ["status", "next_attempt_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_erasure_notices_status_next_attempt_at"), table_name="erasure_notices")
    op.drop_table("erasure_notices")
