"""indexes for the dashboard's lead list: source, and score

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 14:00:00

The lead list filters by source and by score range (and sorts by score); without these,
each page's count reads the whole table. Temperature (3 values) and stage (5) are left
unindexed: an index on them pays only for their rare values, and every index on `leads`
slows the importer's bulk upsert by a few per cent.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_leads_source"), "leads", ["source"])
    op.create_index(op.f("ix_leads_score"), "leads", ["score"])


def downgrade() -> None:
    op.drop_index(op.f("ix_leads_score"), table_name="leads")
    op.drop_index(op.f("ix_leads_source"), table_name="leads")
