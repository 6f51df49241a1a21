"""Delivery rows for a hand-off: which notifications it owes, planned in its transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from nurture.models import Handoff, HandoffDelivery
from nurture.scoring.rules import HandoffRules

EMAIL_ATTEMPTS = 5
# What the CRM hears about (X-Nurture-Event): every change of a hand-off…
CHANGES = (
    "lead.assigned",
    "lead.pooled",
    "lead.claimed",
    "lead.accepted",
    "lead.rejected",
    "lead.recalled",
)
# …and the person's GDPR requests that reach data the CRM holds. These go to the CRMs
# that were sent the lead, wherever the configuration points now, and are the only
# events a withdrawn hand-off still sends (`nurture.handoff.deliver`).
FOLLOW_UPS = ("lead.withdrawn", "lead.updated")
WEBHOOK_EVENTS = CHANGES + FOLLOW_UPS


def plan_deliveries(
    session: Session, handoff: Handoff, config: HandoffRules, event: str
) -> list[int]:
    """The CRM webhook for every change; an email to the owner a lead is pushed to."""
    assert event in CHANGES, event
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


def crm_targets(session: Session, handoff_ids: Sequence[int], *, attempted: bool) -> dict[str, int]:
    """CRM URLs these hand-offs' webhooks went to (only those tried, with `attempted`),
    each with the `max_attempts` of its latest delivery there (the configuration then).

    Locked: a delivery being attempted right now (claimed, not committed) is waited for
    and then counts as tried, so a correction racing the first POST still follows it.
    The filter on attempts is applied here, after the lock, for that reason: PostgreSQL
    would skip the row on the value it had before the claim."""
    if not handoff_ids:
        return {}
    rows = session.execute(
        select(HandoffDelivery.target, HandoffDelivery.max_attempts, HandoffDelivery.attempts)
        .where(HandoffDelivery.handoff_id.in_(handoff_ids), HandoffDelivery.channel == "webhook")
        .order_by(HandoffDelivery.id)
        .with_for_update()
    )
    return {url: most for url, most, tries in rows if tries > 0 or not attempted}


def plan_follow_up(
    session: Session,
    handoff: Handoff,
    event: str,
    targets: Mapping[str, int],
    cause: str | None = None,
) -> list[int]:
    """One webhook per CRM in `targets`; no owner email (the rep works in the CRM).
    `cause`: why a `lead.updated` goes (`HandoffDelivery.cause`)."""
    assert event in FOLLOW_UPS, event
    rows = [
        HandoffDelivery(
            handoff_id=handoff.id,
            channel="webhook",
            event=event,
            cause=cause,
            target=url,
            max_attempts=attempts,
        )
        for url, attempts in targets.items()
    ]
    session.add_all(rows)
    session.flush()
    return [row.id for row in rows]
