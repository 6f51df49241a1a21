"""score ledgers, hand-offs to sales and their delivery log

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import nurture.models.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = nurture.models.base.UTCDateTime(timezone=True)
OPEN = sa.text("status IN ('pooled', 'assigned', 'accepted')")


def upgrade() -> None:
    op.create_table(
        "score_ledgers",
        sa.Column("lead_id", BigId, nullable=False),
        sa.Column("computed_at", UTC, nullable=False),
        sa.Column("rules_version", sa.String(length=64), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_score_ledgers_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_score_ledgers")),
    )
    op.create_index(
        op.f("ix_score_ledgers_computed_at"), "score_ledgers", ["computed_at"], unique=False
    )
    op.create_table(
        "handoffs",
        sa.Column("id", BigId, nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("lead_id", BigId, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("rep_id", sa.String(length=100), nullable=True),
        sa.Column("due_at", UTC, nullable=True),
        sa.Column("recalls", sa.Integer(), nullable=False),
        sa.Column("overdue_reported_at", UTC, nullable=True),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("close_reason", sa.String(length=200), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("assigned_at", UTC, nullable=True),
        sa.Column("accepted_at", UTC, nullable=True),
        sa.Column("rejected_at", UTC, nullable=True),
        sa.Column("closed_at", UTC, nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_handoffs_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoffs")),
        sa.UniqueConstraint("public_id", name=op.f("uq_handoffs_public_id")),
    )
    op.create_index(
        op.f("ix_handoffs_rep_id_status"), "handoffs", ["rep_id", "status"], unique=False
    )
    op.create_index(
        op.f("ix_handoffs_status_due_at"), "handoffs", ["status", "due_at"], unique=False
    )
    op.create_index(
        "uq_handoffs_open_lead",
        "handoffs",
        ["lead_id"],
        unique=True,
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )
    op.create_table(
        "handoff_deliveries",
        sa.Column("id", BigId, nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("handoff_id", BigId, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("response_code", sa.Integer(), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("last_attempt_at", UTC, nullable=True),
        sa.Column("delivered_at", UTC, nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["handoff_id"],
            ["handoffs.id"],
            name=op.f("fk_handoff_deliveries_handoff_id_handoffs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_deliveries")),
        sa.UniqueConstraint("public_id", name=op.f("uq_handoff_deliveries_public_id")),
    )
    op.create_index(
        op.f("ix_handoff_deliveries_handoff_id"),
        "handoff_deliveries",
        ["handoff_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_handoff_deliveries_status_next_attempt_at"),
        "handoff_deliveries",
        ["status", "next_attempt_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("handoff_deliveries")
    op.drop_table("handoffs")
    op.drop_table("score_ledgers")
