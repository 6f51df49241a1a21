"""report indexes: `nurture report` reads indexes only, each in the order it groups by

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 16:00:00

Over a million events the report read the tables themselves: each sent message and
each open, several times. Events: the partial (campaign, step, type) index, used by the
report only, becomes (type, campaign, step, message) with the lead and classification
included, and leaves out `email_sent`, the bulk of campaign events (the report never
reads them). Messages: two partial indexes over accepted marketing mail, (campaign,
step, lead) for sent and people, and (lead, campaign) with step and send time for the
mail of converted leads. Building them locks writes to these tables for a few seconds
per million rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REPORTED = sa.text("campaign_id IS NOT NULL AND type <> 'email_sent'")
ACCEPTED = sa.text("kind = 'marketing' AND status = 'sent'")
CAMPAIGN_EVENTS = sa.text("campaign_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index(op.f("ix_events_campaign_id_step_id_type"), table_name="events")
    op.create_index(
        op.f("ix_events_type_campaign_id_step_id_message_id"),
        "events",
        ["type", "campaign_id", "step_id", "message_id"],
        postgresql_include=["lead_id", "classification"],
        postgresql_where=REPORTED,
        sqlite_where=REPORTED,
    )
    op.create_index(
        op.f("ix_messages_campaign_id_step_id_lead_id"),
        "messages",
        ["campaign_id", "step_id", "lead_id"],
        postgresql_where=ACCEPTED,
        sqlite_where=ACCEPTED,
    )
    op.create_index(
        op.f("ix_messages_lead_id_campaign_id"),
        "messages",
        ["lead_id", "campaign_id"],
        postgresql_include=["step_id", "sent_at"],
        postgresql_where=ACCEPTED,
        sqlite_where=ACCEPTED,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_messages_lead_id_campaign_id"), table_name="messages")
    op.drop_index(op.f("ix_messages_campaign_id_step_id_lead_id"), table_name="messages")
    op.drop_index(op.f("ix_events_type_campaign_id_step_id_message_id"), table_name="events")
    op.create_index(
        op.f("ix_events_campaign_id_step_id_type"),
        "events",
        ["campaign_id", "step_id", "type"],
        postgresql_where=CAMPAIGN_EVENTS,
        sqlite_where=CAMPAIGN_EVENTS,
    )
