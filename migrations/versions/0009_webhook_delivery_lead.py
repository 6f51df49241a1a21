"""webhook deliveries by lead: who holds a lead's data, found without a scan

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 17:10:00

Erasure and correction notices (GDPR art. 19) look up the subscriptions that were posted
a lead's events, and erasing a lead sets `lead_id` to NULL on its deliveries: both read
the whole delivery log without an index on `lead_id`.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_webhook_deliveries_lead_id"), "webhook_deliveries", ["lead_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_webhook_deliveries_lead_id"), table_name="webhook_deliveries")
