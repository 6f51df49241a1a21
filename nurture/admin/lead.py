"""One lead as the dashboard shows it: the GDPR export's record (profile, consent
history, events, messages) plus the score ledger, suppression and hand-offs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nurture.consent.ledger import Current, current
from nurture.consent.suppression import suppression_reason
from nurture.gdpr import export
from nurture.models import Handoff, Lead
from nurture.scoring.explain import Explanation, explanation

SHOWN = 200  # newest events and messages on the page; the GDPR export has them all


@dataclass
class LeadRecord:
    lead: Lead
    profile: dict[str, Any]
    consent_now: dict[str, Current]
    consents: list[dict[str, Any]]  # newest first
    score: Explanation | None
    events: list[dict[str, Any]]  # newest first, each with `details`: (key, text) pairs
    events_total: int
    messages: list[dict[str, Any]]  # newest first
    messages_total: int
    handoffs: list[Handoff] = field(default_factory=list)  # newest first
    suppression: str | None = None


def find_lead(session: Session, public_id: str) -> Lead | None:
    return session.scalar(select(Lead).where(Lead.public_id == public_id))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _with_details(event: dict[str, Any]) -> dict[str, Any]:
    """Event data as (key, text) pairs: a user agent or a URL is shown as sent, as text."""
    data = event.get("data") or {}
    return {**event, "details": [(str(key), _text(value)) for key, value in data.items()]}


def lead_record(session: Session, lead: Lead, suppression_key: str) -> LeadRecord:
    events, messages = export.events(session, lead), export.messages(session, lead)
    handoffs = session.scalars(
        select(Handoff).where(Handoff.lead_id == lead.id).order_by(Handoff.id.desc())
    )
    return LeadRecord(
        lead=lead,
        profile=export.profile(lead),
        consent_now=dict(sorted(current(session, lead.id).items())),
        consents=export.consents(session, lead)[::-1],
        score=explanation(session, lead),
        events=[_with_details(e) for e in events[-SHOWN:][::-1]],
        events_total=len(events),
        messages=messages[-SHOWN:][::-1],
        messages_total=len(messages),
        handoffs=list(handoffs),
        suppression=suppression_reason(session, suppression_key, lead.email),
    )
