"""Send-time checks: a withdrawal between planning and sending always wins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from nurture.consent.ledger import has_consent
from nurture.consent.suppression import suppression_reason
from nurture.models import Enrolment, Lead, Message


def blocked_reason(
    session: Session, row: Message, lead: Lead | None, suppression_key: str, now: datetime
) -> str | None:
    """Why this message must not go out now, or None when it may."""
    if lead is None:
        return "the lead no longer exists (erased)"
    reason = suppression_reason(session, suppression_key, lead.email)
    if reason is not None:
        return f"address suppressed ({reason})"
    if lead.restricted_at is not None:
        return "processing restricted by the lead (GDPR art. 18)"
    if row.kind != "marketing":
        return None
    if row.purpose is None or not has_consent(session, lead.id, row.purpose):
        return f"no current consent for {row.purpose!r}"
    if lead.paused_until is not None and lead.paused_until > now:
        return "the lead paused all mail"
    enrolment = session.get(Enrolment, row.enrolment_id) if row.enrolment_id else None
    if enrolment is None or enrolment.status not in ("active", "completed"):
        return "the lead left the campaign"
    return None
