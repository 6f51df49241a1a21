"""Campaign run state: per-campaign state, enrolments and message rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from nurture.models.base import Base, BigId, new_public_id, utcnow

ENROLMENT_STATUSES = ("active", "completed", "exited", "cancelled")
# queued → sending → sent | failed | unknown; queued → suppressed | cancelled | failed.
MESSAGE_STATUSES = ("queued", "sending", "sent", "failed", "suppressed", "unknown", "cancelled")
_ACCEPTED = text("kind = 'marketing' AND status = 'sent'")


class CampaignState(Base):
    """What the database knows about a campaign file: its version, entry cursor, pause."""

    __tablename__ = "campaign_states"

    campaign_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[str] = mapped_column(String(64))
    step_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Highest event id already considered for enrolment.
    entry_cursor: Mapped[int] = mapped_column(BigId, default=0)
    paused: Mapped[bool] = mapped_column(default=False)
    pause_reason: Mapped[str | None] = mapped_column(Text)
    paused_at: Mapped[datetime | None]
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Enrolment(Base):
    __tablename__ = "enrolments"
    __table_args__ = (
        UniqueConstraint("lead_id", "campaign_id"),
        # The scheduler's due query: only active rows, ordered by next_run_at.
        Index(
            "ix_enrolments_due",
            "next_run_at",
            postgresql_where=text("status = 'active'"),
            sqlite_where=text("status = 'active'"),
        ),
        Index(None, "campaign_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    campaign_id: Mapped[str] = mapped_column(String(100))
    campaign_version: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="active")
    # Step ids already handled (sent or skipped), in order: how a lead continues by step
    # id when the campaign file changes, and why a removed step is never re-sent.
    steps_done: Mapped[list[str]] = mapped_column(JSON, default=list)
    next_run_at: Mapped[datetime | None]
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_step_at: Mapped[datetime | None]
    exit_reason: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Message(Base):
    """One email to one lead. Unique per (enrolment, step): a step is never queued twice."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "step_id"),
        Index(None, "status", "enqueued_at"),
        Index(None, "lead_id", "created_at"),
        Index(None, "campaign_id", "step_id", "status"),
        # `nurture report`, over marketing mail the server accepted (an entry per message
        # sent): sent per step and people per campaign, read in order without touching
        # the table; and the mail of the few leads who converted.
        Index(
            None,
            "campaign_id",
            "step_id",
            "lead_id",
            postgresql_where=_ACCEPTED,
            sqlite_where=_ACCEPTED,
        ),
        Index(
            None,
            "lead_id",
            "campaign_id",
            postgresql_include=["step_id", "sent_at"],
            postgresql_where=_ACCEPTED,
            sqlite_where=_ACCEPTED,
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Message-ID, tracking and unsubscribe tokens derive from this, never from `id`.
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    enrolment_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrolments.id", ondelete="SET NULL")
    )
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    campaign_id: Mapped[str | None] = mapped_column(String(100))
    step_id: Mapped[str | None] = mapped_column(String(100))
    # marketing (campaign steps) or transactional (double opt-in, notices): only
    # marketing mail carries List-Unsubscribe and needs a marketing consent.
    kind: Mapped[str] = mapped_column(String(16), default="marketing")
    purpose: Mapped[str | None] = mapped_column(String(64))
    # Transactional mails name their template and carry what it needs (no lead data).
    template: Mapped[str | None] = mapped_column(String(200))
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    smtp_response: Mapped[str | None] = mapped_column(Text)
    tracked: Mapped[bool] = mapped_column(default=False)
    scheduled_for: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    enqueued_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
