"""hand-off deliveries: why a follow-up was planned

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 18:40:00

A `lead.updated` follows either a correction by the person (GDPR art. 19: owed to every
CRM that got the lead, even after the hand-off ended) or new data merged in from an
import, the API or a vendor's mail (sent only while the hand-off is open). The row must
say which, since the hand-off can end between planning and delivery.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("handoff_deliveries", sa.Column("cause", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("handoff_deliveries") as batch:
        batch.drop_column("cause")
