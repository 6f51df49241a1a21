"""The erasure-notice log's upkeep: lost notices found again, failed ones retried.

A notice is enqueued once the erasure commits; if the broker lost it (Redis down, the
command's in-process broker gone with the command), each scheduler pass finds it again
once it has been due for `requeue_after` without an attempt. `nurture gdpr redeliver`
gives a failed notice a fresh round of attempts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from nurture.clock import Clock
from nurture.db import SessionFactory, after_commit, unit_of_work
from nurture.models import ErasureNotice

BATCH = 1_000


def lost_notices(session: Session, now: datetime, requeue_after: timedelta) -> list[int]:
    stale = now - requeue_after
    ids = list(
        session.scalars(
            select(ErasureNotice.id)
            .where(
                ErasureNotice.status == "pending",
                or_(
                    and_(ErasureNotice.next_attempt_at.is_(None), ErasureNotice.updated_at < stale),
                    ErasureNotice.next_attempt_at < stale,
                ),
            )
            .order_by(ErasureNotice.id)
            .limit(BATCH)
        )
    )
    if ids:  # looked at again only after another `requeue_after`
        session.execute(
            update(ErasureNotice)
            .where(ErasureNotice.id.in_(ids))
            .values(next_attempt_at=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    return ids


def redeliver(session: Session, public_ids: Sequence[str], now: datetime) -> list[int]:
    """Failed notices back to pending with fresh attempts; returns their ids."""
    ids = list(
        session.scalars(
            select(ErasureNotice.id).where(
                ErasureNotice.public_id.in_(list(public_ids)), ErasureNotice.status == "failed"
            )
        )
    )
    if ids:
        session.execute(
            update(ErasureNotice)
            .where(ErasureNotice.id.in_(ids))
            .values(status="pending", attempts=0, next_attempt_at=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    return ids


@dataclass
class ErasureNoticePass:
    """The scheduler pass's part: enqueue the notices the broker lost."""

    sessions: SessionFactory
    enqueue: Callable[[Sequence[int]], None]
    wall_clock: Clock
    requeue_after: timedelta = timedelta(minutes=5)

    def run(self, _schedule_now: datetime) -> list[str]:
        with unit_of_work(self.sessions) as session:
            ids = lost_notices(session, self.wall_clock.now(), self.requeue_after)
            if ids:
                after_commit(session, lambda: self.enqueue(ids))
        return [f"erasure notices: {len(ids)} enqueued again"] if ids else []
