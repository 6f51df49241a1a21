"""Outgoing webhooks: marketers' subscriptions, the delivery log, and the dispatch cursor."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nurture.models.base import Base, BigId, new_public_id, utcnow

# pending → delivered | failed; `nurture webhooks redeliver` puts a failed one back.
WEBHOOK_DELIVERY_STATUSES = ("pending", "delivered", "failed")


class WebhookSubscription(Base):
    """A URL that receives signed POSTs for some event types (`nurture webhooks add`)."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    # HMAC-SHA256 key shared with the receiver; shown once, when the subscription is made.
    secret: Mapped[str] = mapped_column(String(128))
    description: Mapped[str | None] = mapped_column(String(200))
    # The newest event when it was made: only later events are sent (no replay of history).
    after_event_id: Mapped[int] = mapped_column(BigId, default=0)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """One POST of one event to one subscription, with its attempts: the delivery log."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # Dispatch is idempotent: an event reaches a subscription once, however many
        # scheduler passes look at it.
        UniqueConstraint("subscription_id", "event_id"),
        Index(None, "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Sent as X-Nurture-Delivery, the same on every retry: receivers deduplicate on it.
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    event_id: Mapped[int] = mapped_column(BigId)  # events.id (no FK: the log outlives it)
    # Indexed: who holds a lead (erasure and correction notices), and SET NULL on erasure.
    lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("leads.id", ondelete="SET NULL"), index=True
    )
    event: Mapped[str] = mapped_column(String(32))  # webhook event type, e.g. lead_created
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    # Due for an attempt from then on; moved past the attempt's length while one runs.
    next_attempt_at: Mapped[datetime | None]
    response_code: Mapped[int | None]
    response: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WebhookCursor(Base):
    """The highest event id already turned into deliveries (one row)."""

    __tablename__ = "webhook_cursors"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(BigId, default=0)
