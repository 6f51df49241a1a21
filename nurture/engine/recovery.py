"""Nothing is lost: rows that never reached a worker are found again.

Two cases, both judged on the wall clock (operational time, not the schedule's):
- `queued` rows that were committed but whose enqueue failed or was lost (broker down,
  process killed between commit and enqueue) are handed back to the broker; the sender's
  conditional claim makes a duplicate delivery of the id harmless. Rows of a paused
  campaign wait (the sender would not claim them); resuming it hands them over.
- `sending` rows whose worker went silent longer than any send can take ended somewhere
  between "about to send" and "sent but not recorded". We cannot know which, and the
  policy is at-most-once: they become `unknown`, are reported, and are re-sent only by an
  operator (`nurture messages resend`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from nurture.db import member_of
from nurture.models import CampaignState, Message

BATCH = 10_000


def lost_queued(session: Session, wall_now: datetime, requeue_after: timedelta) -> list[int]:
    stale = wall_now - requeue_after
    ids = list(
        session.scalars(
            select(Message.id)
            .where(Message.status == "queued")
            .where(or_(Message.enqueued_at.is_(None), Message.enqueued_at < stale))
            .where(~paused_campaign())
            .order_by(Message.id)
            .limit(BATCH)
        )
    )
    if ids:
        session.execute(
            update(Message)
            .where(member_of(session, Message.id, ids), Message.status == "queued")
            .values(enqueued_at=wall_now)
            .execution_options(synchronize_session=False)
        )
    return ids


def paused_campaign() -> ColumnElement[bool]:
    """The message belongs to a paused campaign."""
    return (
        select(CampaignState.campaign_id)
        .where(CampaignState.campaign_id == Message.campaign_id, CampaignState.paused)
        .exists()
    )


def mark_unknown(session: Session, wall_now: datetime, stale_after: timedelta) -> int:
    result = session.execute(
        update(Message)
        .where(Message.status == "sending", Message.claimed_at < wall_now - stale_after)
        .values(
            status="unknown",
            last_error="the worker stopped between claiming and recording the outcome; "
            "it may or may not have been delivered",
            updated_at=wall_now,
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def forget_enqueue(session: Session, ids: list[int]) -> None:
    """The broker refused these ids: make them eligible for the very next pass."""
    session.execute(
        update(Message)
        .where(member_of(session, Message.id, ids), Message.status == "queued")
        .values(enqueued_at=None)
        .execution_options(synchronize_session=False)
    )
