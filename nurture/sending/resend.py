"""Operator-initiated resend of `failed` and `unknown` messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from nurture.audit import audit
from nurture.models import Message

RESENDABLE = ("failed", "unknown")


def resend(session: Session, public_ids: list[str], wall_now: datetime) -> list[int]:
    """Move the rows back to `queued` with fresh attempts; returns the ids to enqueue."""
    ids = list(
        session.scalars(
            select(Message.id).where(
                Message.public_id.in_(public_ids), Message.status.in_(RESENDABLE)
            )
        )
    )
    if ids:
        session.execute(
            update(Message)
            .where(Message.id.in_(ids))
            .values(status="queued", attempts=0, enqueued_at=wall_now, updated_at=wall_now)
            .execution_options(synchronize_session=False)
        )
        audit(session, "operator", "messages_resent", count=len(ids))
    return ids
