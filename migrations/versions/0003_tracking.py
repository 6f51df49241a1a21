"""tracking: drained hit ids (exactly-once recording) and aggregate open/click counts

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import nurture.models.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = nurture.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tracking_hits",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("drained_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_hits")),
    )
    op.create_index(
        op.f("ix_tracking_hits_drained_at"), "tracking_hits", ["drained_at"], unique=False
    )
    op.create_table(
        "tracking_counts",
        sa.Column("campaign_id", sa.String(length=100), nullable=False),
        sa.Column("step_id", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "campaign_id",
            "step_id",
            "type",
            "classification",
            "day",
            name=op.f("pk_tracking_counts"),
        ),
    )


def downgrade() -> None:
    op.drop_table("tracking_counts")
    op.drop_index(op.f("ix_tracking_hits_drained_at"), table_name="tracking_hits")
    op.drop_table("tracking_hits")
