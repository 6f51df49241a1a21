"""Leased attempts at outgoing deliveries: hand-off webhooks and owner mails, marketers'
webhooks, erasure notices.

A worker takes a pending row for one attempt by pushing its `next_attempt_at` a lease
ahead, in one conditional UPDATE committed before the attempt: a second worker (the
broker redelivering, a scheduler re-enqueueing) finds it leased and leaves it, and a
worker that dies mid-attempt leaves a row that is due again once the lease runs out.
The lease outlasts any attempt (HTTP timeouts are at most 60 s), so a slow receiver is
never posted to twice at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

LEASE = timedelta(minutes=2)
# A row due within this much is taken now: the broker's delay and the clocks of two
# machines never agree to the millisecond.
_EARLY = timedelta(seconds=1)


def claim(session: Session, model: Any, row_id: int, now: datetime, **stamps: Any) -> bool:
    """Take row `row_id` of `model` (pending, and due or its lease run out) for one
    attempt: count it and lease it. `stamps` are more columns to set (e.g. the attempt's
    time). False when the row is not there to take."""
    result = session.execute(
        update(model)
        .where(model.id == row_id, model.status == "pending")
        .where(or_(model.next_attempt_at.is_(None), model.next_attempt_at <= now + _EARLY))
        .values(attempts=model.attempts + 1, next_attempt_at=now + LEASE, updated_at=now, **stamps)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))
