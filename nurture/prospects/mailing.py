"""Queueing transactional mail: a message row now, its id to the broker after commit.

The row holds the template name and only what the template cannot look up at send time
(purposes to confirm, a locale, the target of an address change): links and their tokens
are minted when the mail is composed, so no credential sits in the database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from nurture.db import after_commit
from nurture.models import Lead, Message

Enqueue = Callable[[Sequence[int]], None]

CONFIRM_SUBSCRIPTION = "transactional/confirm_subscription"
FRESH_LINK = "transactional/fresh_link"  # in sending.checks.SELF_SERVICE_TEMPLATES
CONFIRM_ADDRESS = "transactional/confirm_address"
TEMPLATES = (CONFIRM_SUBSCRIPTION, FRESH_LINK, CONFIRM_ADDRESS)


def queue_transactional(
    session: Session,
    lead: Lead,
    template: str,
    context: dict[str, Any],
    *,
    now: datetime,
    wall_now: datetime,
    enqueue: Enqueue,
) -> Message:
    if template not in TEMPLATES:
        raise ValueError(f"unknown transactional template {template!r}")
    row = Message(
        lead_id=lead.id,
        kind="transactional",
        template=template,
        context=context,
        status="queued",
        scheduled_for=now,
        created_at=now,
        enqueued_at=wall_now,
    )
    session.add(row)
    session.flush()
    message_id = row.id
    after_commit(session, lambda: enqueue([message_id]))
    return row
