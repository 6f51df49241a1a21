"""Behaviour history and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from nurture.models.base import Base, BigId, utcnow

# Event types the system records itself (contract); others arrive through the API, CLI
# and imports and are accepted as long as they look like identifiers.
SYSTEM_EVENT_TYPES = (
    "lead_created",
    "consent_granted",
    "consent_confirmed",
    "consent_withdrawn",
    "email_sent",
    "email_opened",
    "email_clicked",
    "email_bounced",
    "email_complained",
    "unsubscribed",
    "data_exported",
    "data_rectified",
    "processing_restricted",
    "restriction_lifted",
    "erased",
)
CLASSIFICATIONS = ("human", "proxy", "scanner")
_REPORTED = text("campaign_id IS NOT NULL AND type <> 'email_sent'")


class Event(Base):
    """A behaviour event. After erasure `lead_id` is NULL and `data` empty: counts survive."""

    __tablename__ = "events"
    # Most events (imports, API, scoring) have no campaign or message: the indexes on
    # those columns are partial, so writing such an event maintains two indexes, not four.
    __table_args__ = (
        Index(None, "lead_id", "occurred_at"),
        Index(None, "type", "id"),
        # `nurture report`'s engagement figures: read without touching the table, in the
        # order they are grouped in. `email_sent` (most campaign events, one per message
        # sent) is not read there and stays out: the sender maintains one index less.
        Index(
            None,
            "type",
            "campaign_id",
            "step_id",
            "message_id",
            postgresql_include=["lead_id", "classification"],
            postgresql_where=_REPORTED,
            sqlite_where=_REPORTED,
        ),
        Index(
            None,
            "message_id",
            postgresql_where=text("message_id IS NOT NULL"),
            sqlite_where=text("message_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    campaign_id: Mapped[str | None] = mapped_column(String(100))
    step_id: Mapped[str | None] = mapped_column(String(100))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    classification: Mapped[str | None] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16), default="system")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Who did what to which record. Holds no personal data (no email, name, or IP)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(50))
    action: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
