"""Recording behaviour events: the lead's timeline and the scheduler's entry signal."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from nurture.models import Event, Lead, utcnow
from nurture.models.activity import SYSTEM_EVENT_TYPES
from nurture.scoring.transitions import DERIVED_EVENT_TYPES

_EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")


class BadEventType(ValueError):
    pass


def check_event_type(event_type: str) -> str:
    if not _EVENT_TYPE.match(event_type):
        raise BadEventType(
            f"{event_type!r} is not an event type: use lower-case letters, digits and '_' "
            "(e.g. call_completed)"
        )
    return event_type


def check_external_event_type(event_type: str) -> str:
    """Types other systems may report: not those nurture records itself.

    Consent, sends, opens and erasure are facts nurture establishes (the ledger and the
    tracker are their proof); letting a client post `consent_confirmed` would forge them.
    Score, stage and hand-off changes (`became_hot`, `disqualified`, `sales_accepted`…)
    are derived by nurture: a posted `became_hot` would start a sales-ready campaign for a
    lead whose score never got there (a sale is reported as `converted`).
    """
    if event_type in SYSTEM_EVENT_TYPES:
        raise BadEventType(f"{event_type!r} is recorded by nurture itself, not reported to it")
    if event_type in DERIVED_EVENT_TYPES:
        raise BadEventType(
            f"{event_type!r} is derived by nurture from scores and hand-offs, not reported to "
            "it (report what happened instead: email_replied, call_completed, converted…)"
        )
    return check_event_type(event_type)


def record_event(
    session: Session,
    lead: Lead | None,
    event_type: str,
    *,
    occurred_at: datetime | None = None,
    source: str = "system",
    campaign_id: str | None = None,
    step_id: str | None = None,
    message_id: int | None = None,
    classification: str | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    event = Event(
        lead_id=lead.id if lead is not None else None,
        type=check_event_type(event_type),
        occurred_at=occurred_at or utcnow(),
        source=source,
        campaign_id=campaign_id,
        step_id=step_id,
        message_id=message_id,
        classification=classification,
        data=data or {},
    )
    session.add(event)
    return event
