"""Delivery rows for a hand-off: which notifications it owes, planned in its transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from nurture.models import Handoff, HandoffDelivery
from nurture.scoring.rules import HandoffRules

EMAIL_ATTEMPTS = 5
# What the CRM hears about (X-Nurture-Event): every change of a hand-off.
WEBHOOK_EVENTS = (
    "lead.assigned",
    "lead.pooled",
    "lead.claimed",
    "lead.accepted",
    "lead.rejected",
    "lead.recalled",
)


def plan_deliveries(
    session: Session, handoff: Handoff, config: HandoffRules, event: str
) -> list[int]:
    """The CRM webhook for every change; an email to the owner a lead is pushed to."""
    assert event in WEBHOOK_EVENTS, event
    rows = []
    if config.webhook is not None:
        rows.append(
            HandoffDelivery(
                handoff_id=handoff.id,
                channel="webhook",
                event=event,
                target=config.webhook.url,
                max_attempts=config.webhook.max_attempts,
            )
        )
    rep = config.rep(handoff.rep_id) if handoff.rep_id else None
    if config.notify is not None and rep is not None and event == "lead.assigned":
        rows.append(
            HandoffDelivery(
                handoff_id=handoff.id,
                channel="email",
                event=event,
                target=rep.email,
                max_attempts=EMAIL_ATTEMPTS,
            )
        )
    session.add_all(rows)
    session.flush()
    return [row.id for row in rows]
