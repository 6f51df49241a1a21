"""Everything held about one lead (GDPR art. 15 and 20), as plain JSON-ready data.

Only rows tied to this lead are read (its id on every query): an export never carries
anybody else's data. Message contexts are internal (template inputs) and left out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nurture.consent.ledger import current, records_of
from nurture.consent.suppression import suppression_reason
from nurture.gdpr.explain import score_summary
from nurture.i18n import choose
from nurture.models import AddressChange, Event, Lead, Message


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def profile(lead: Lead) -> dict[str, Any]:
    return {
        "id": lead.public_id,
        **lead.field_values(),
        "owner": lead.owner,
        "paused_until": _when(lead.paused_until),
        "restricted_at": _when(lead.restricted_at),
        "profiling_objected": lead.profiling_objected,
        "created_at": _when(lead.created_at),
        "updated_at": _when(lead.updated_at),
    }


def consents(session: Session, lead: Lead) -> list[dict[str, Any]]:
    return [
        {
            "at": _when(r.created_at),
            "purpose": r.purpose,
            "action": r.action,
            "basis": r.basis,
            "source": r.source,
            "wording": r.wording,
            "wording_hash": r.wording_hash,
            "locale": r.locale,
            "proof": r.proof,
            "ip": r.ip,
            "user_agent": r.user_agent,
        }
        for r in records_of(session, lead.id)
    ]


def events(session: Session, lead: Lead) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Event).where(Event.lead_id == lead.id).order_by(Event.occurred_at, Event.id)
    )
    return [
        {
            "at": _when(e.occurred_at),
            "type": e.type,
            "campaign": e.campaign_id,
            "step": e.step_id,
            "source": e.source,
            "classification": e.classification,
            "data": e.data,
        }
        for e in rows
    ]


def messages(session: Session, lead: Lead) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Message).where(Message.lead_id == lead.id).order_by(Message.created_at, Message.id)
    )
    return [
        {
            "id": m.public_id,
            "kind": m.kind,
            "campaign": m.campaign_id,
            "step": m.step_id,
            "template": m.template,
            "purpose": m.purpose,
            "status": m.status,
            "created_at": _when(m.created_at),
            "sent_at": _when(m.sent_at),
            "tracked": m.tracked,
        }
        for m in rows
    ]


def export_lead(
    session: Session, lead: Lead, suppression_key: str, now: datetime, lang: str | None = None
) -> dict[str, Any]:
    """Everything held about ``lead``; the score's explanation in ``lang`` (by default
    the lead's own language)."""
    lang = lang or choose(lead.locale)
    return {
        "exported_at": now.isoformat(),
        "lead": profile(lead),
        "consent_now": {p: c.status for p, c in sorted(current(session, lead.id).items())},
        "consents": consents(session, lead),
        "events": events(session, lead),
        "messages": messages(session, lead),
        "score": score_summary(session, lead, lang=lang),
        "suppression": suppression_reason(session, suppression_key, lead.email),
        "pending_address_change": pending_address_change(session, lead),
    }


def pending_address_change(session: Session, lead: Lead) -> dict[str, Any] | None:
    """An address asked for and not confirmed yet: it is held about the person too."""
    change = session.scalar(select(AddressChange).where(AddressChange.lead_id == lead.id))
    if change is None:
        return None
    return {"new_email": change.new_email, "requested_at": _when(change.requested_at)}
