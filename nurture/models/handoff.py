"""Hand-offs of leads to sales, and the log of their webhook and email deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from nurture.models.base import Base, BigId, new_public_id, utcnow

# pooled → assigned (pushed to a rep, or claimed) → accepted | rejected;
# assigned → pooled when the SLA passes untouched; any open one → closed when the lead
# becomes a customer or is disqualified, → withdrawn when the person objects to
# profiling or to direct marketing, or restricts processing (`nurture.handoff.withdraw`).
HANDOFF_STATUSES = ("pooled", "assigned", "accepted", "rejected", "closed", "withdrawn")
OPEN_STATUSES = ("pooled", "assigned", "accepted")
DELIVERY_STATUSES = ("pending", "delivered", "failed")
_OPEN = text("status IN ('pooled', 'assigned', 'accepted')")


class Handoff(Base):
    __tablename__ = "handoffs"
    __table_args__ = (
        # At most one open hand-off per lead: two workers scoring the same lead at once
        # cannot both hand it over.
        Index(
            "uq_handoffs_open_lead",
            "lead_id",
            unique=True,
            postgresql_where=_OPEN,
            sqlite_where=_OPEN,
        ),
        Index(None, "status", "due_at"),
        Index(None, "rep_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(8))  # push | pull
    reason: Mapped[str] = mapped_column(String(200))  # what made the lead ready
    rep_id: Mapped[str | None] = mapped_column(String(100))
    # Speed-to-lead deadline: an assigned lead untouched by then goes back to the pool;
    # a pooled one is reported as overdue.
    due_at: Mapped[datetime | None]
    recalls: Mapped[int] = mapped_column(default=0)
    overdue_reported_at: Mapped[datetime | None]
    reject_reason: Mapped[str | None] = mapped_column(Text)
    close_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    assigned_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    rejected_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class HandoffDelivery(Base):
    """One notification of a hand-off: a signed webhook POST or an email to the owner."""

    __tablename__ = "handoff_deliveries"
    __table_args__ = (Index(None, "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Sent as X-Nurture-Delivery (and in the Message-ID): receivers deduplicate on it.
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    handoff_id: Mapped[int] = mapped_column(
        ForeignKey("handoffs.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))  # webhook | email
    event: Mapped[str] = mapped_column(String(32))  # nurture.handoff.deliveries.WEBHOOK_EVENTS
    # Why a `lead.updated` was planned: `correction` (art. 19, owed even once the hand-off
    # ended) or `merge` (new data, only while it is open); None for every other event.
    cause: Mapped[str | None] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(500))  # the URL, or the rep's address
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=8)
    response_code: Mapped[int | None]  # HTTP status, or the SMTP reply code
    response: Mapped[str | None] = mapped_column(Text)  # the start of the reply
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
