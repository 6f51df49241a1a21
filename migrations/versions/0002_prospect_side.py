"""prospect side: rate-limit counters and pending address changes

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import nurture.models.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = nurture.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("window_start", UTC, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limits")),
    )
    op.create_index(
        op.f("ix_rate_limits_window_start"), "rate_limits", ["window_start"], unique=False
    )
    op.create_table(
        "address_changes",
        sa.Column("id", BigId, nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("lead_id", BigId, nullable=False),
        sa.Column("new_email", sa.String(length=320), nullable=False),
        sa.Column("requested_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_address_changes_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_address_changes")),
        sa.UniqueConstraint("public_id", name=op.f("uq_address_changes_public_id")),
    )
    op.create_index(
        op.f("ix_address_changes_lead_id"), "address_changes", ["lead_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_address_changes_lead_id"), table_name="address_changes")
    op.drop_table("address_changes")
    op.drop_index(op.f("ix_rate_limits_window_start"), table_name="rate_limits")
    op.drop_table("rate_limits")
