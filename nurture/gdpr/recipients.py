"""Who received a lead's data, and the erasure notices they are owed (GDPR art. 19).

Two kinds of recipient got personal data from nurture: the CRM, through the hand-off
webhook (`lead.assigned`, `lead.pooled`… with the lead's profile), and the marketers'
webhook subscribers (`lead_created`, `converted`… with the lead as it was when posted).
Every delivery that was attempted counts: a receiver may have stored the body and still
answered an error or timed out.

`plan_notices` runs inside the erasure's transaction, *before* the lead row is deleted
(its hand-offs and their delivery log are deleted with it), and writes one notice per
recipient: per CRM URL, per subscription. A notice carries only identifiers the
recipient already holds from those deliveries — hand-off ids and delivery ids — so it
tells the recipient which records to erase without telling it anything new, and leaves
nothing in our database that leads back to the person.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from nurture.models import (
    ErasureNotice,
    Handoff,
    HandoffDelivery,
    WebhookDelivery,
    WebhookSubscription,
)


def plan_notices(session: Session, lead_id: int, erased_at: datetime) -> list[int]:
    """Write the notices the erasure of ``lead_id`` owes; returns their ids."""
    rows = _crm_notices(session, lead_id, erased_at)
    rows += _subscriber_notices(session, lead_id, erased_at)
    session.add_all(rows)
    session.flush()
    return [row.id for row in rows]


def _crm_notices(session: Session, lead_id: int, erased_at: datetime) -> list[ErasureNotice]:
    sent = session.execute(
        select(HandoffDelivery.target, Handoff.public_id, HandoffDelivery.public_id)
        .join(Handoff, Handoff.id == HandoffDelivery.handoff_id)
        .where(
            Handoff.lead_id == lead_id,
            HandoffDelivery.channel == "webhook",
            HandoffDelivery.attempts > 0,
        )
        .order_by(HandoffDelivery.id)
    )
    by_url: dict[str, dict[str, list[str]]] = {}
    for url, handoff_id, delivery_id in sent:
        held = by_url.setdefault(url, {"handoffs": [], "deliveries": []})
        if handoff_id not in held["handoffs"]:
            held["handoffs"].append(handoff_id)
        held["deliveries"].append(delivery_id)
    return [
        ErasureNotice(channel="crm", target=url, identifiers=held, erased_at=erased_at)
        for url, held in by_url.items()
    ]


def _subscriber_notices(session: Session, lead_id: int, erased_at: datetime) -> list[ErasureNotice]:
    sent = session.execute(
        select(WebhookDelivery.subscription_id, WebhookSubscription.url, WebhookDelivery.public_id)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(WebhookDelivery.lead_id == lead_id, WebhookDelivery.attempts > 0)
        .order_by(WebhookDelivery.id)
    )
    by_subscription: dict[int, tuple[str, list[str]]] = {}
    for subscription_id, url, delivery_id in sent:
        by_subscription.setdefault(subscription_id, (url, []))[1].append(delivery_id)
    return [
        ErasureNotice(
            channel="webhook",
            subscription_id=subscription_id,
            target=url,
            identifiers={"deliveries": deliveries},
            erased_at=erased_at,
        )
        for subscription_id, (url, deliveries) in by_subscription.items()
    ]
