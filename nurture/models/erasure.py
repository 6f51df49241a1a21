"""Notices of an erasure to those who received the lead's data (GDPR art. 19), and their log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nurture.models.base import Base, BigId, new_public_id, utcnow

# pending → delivered | failed; `nurture gdpr redeliver` puts a failed one back.
ERASURE_NOTICE_STATUSES = ("pending", "delivered", "failed")
ERASURE_NOTICE_CHANNELS = ("crm", "webhook")  # the hand-off webhook, a marketer's webhook


class ErasureNotice(Base):
    """One `lead.erased` POST to one recipient, with its attempts.

    No foreign key to the lead, and nothing about the person: the row is written in the
    erasure's transaction and outlives the lead. It holds only identifiers the recipient
    already received (hand-off and delivery ids), which name nobody in our database once
    the lead is gone.
    """

    __tablename__ = "erasure_notices"
    __table_args__ = (Index(None, "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Sent as X-Nurture-Delivery, the same on every retry: receivers deduplicate on it.
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    channel: Mapped[str] = mapped_column(String(16))
    # The marketer's subscription told (channel `webhook`): its URL and signing secret.
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    target: Mapped[str] = mapped_column(String(2000))  # the URL that received the data
    # {"handoffs": [hand-off ids], "deliveries": [delivery ids]} the recipient received.
    identifiers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    erased_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=8)
    # Due for an attempt from then on (None: at once); moved past an attempt while it runs.
    next_attempt_at: Mapped[datetime | None]
    response_code: Mapped[int | None]
    response: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
