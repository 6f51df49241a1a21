"""Erasure (GDPR art. 17): delete the person, keep only the keyed hash and the counts.

1. queued mail for the lead is cancelled; every message row keeps only its campaign,
   step and status (context, SMTP answers and errors can hold the address: cleared);
   webhook deliveries about the lead lose the receiver's answer (it may echo the lead);
2. event details are cleared (the rows stay for aggregate reports, without identity);
3. the address goes on the suppression list as `erased` (an HMAC: a re-import or a
   re-subscription never mails it again) unless this is a retention purge;
4. the recipients of the lead's data — the CRM that got its hand-offs, the webhook
   subscribers that got its events — are owed a `lead.erased` notice (art. 19): the
   notices are written now, before the hand-off rows go with the lead, and posted after
   the commit (`nurture.gdpr.recipients`, `nurture.gdpr.notices`);
5. the lead row is deleted: the database cascades to the ledger, consent states,
   enrolments and pending address changes, and detaches events and messages
   (every foreign key to `leads.id` is ON DELETE CASCADE or SET NULL);
6. the audit log and an `erased` event record that it happened, with no personal data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from nurture.audit import audit
from nurture.consent.suppression import suppress
from nurture.db import after_commit
from nurture.gdpr.recipients import plan_notices
from nurture.leads.events import record_event
from nurture.models import AddressChange, Event, Lead, Message, WebhookDelivery
from nurture.prospects.ratelimit import forget_address


def _scrub(session: Session, lead_id: int, wall_now: datetime) -> int:
    session.execute(
        update(Message)
        .where(Message.lead_id == lead_id)
        .values(context={}, smtp_response=None, last_error=None)
        .execution_options(synchronize_session=False)
    )
    cancelled = session.execute(
        update(Message)
        .where(Message.lead_id == lead_id, Message.status == "queued")
        .values(status="cancelled", last_error="lead erased", updated_at=wall_now)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Event)
        .where(Event.lead_id == lead_id)
        .values(data={})
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.lead_id == lead_id)
        .values(response=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(cancelled, "rowcount", 0) or 0)


def erase_lead(
    session: Session,
    lead: Lead,
    suppression_key: str,
    now: datetime,
    *,
    actor: str,
    via: str,
    keep_suppression: bool = True,
    notify: Callable[[Sequence[int]], None] | None = None,
) -> int:
    """Erase ``lead``; returns the number of queued messages cancelled.

    ``notify`` gets the ids of the art. 19 notices once committed (without it, the next
    scheduler pass finds them and sends them)."""
    email = lead.email
    cancelled = _scrub(session, lead.id, now)
    notices = plan_notices(session, lead.id, now)
    if notices and notify is not None:
        after_commit(session, lambda: notify(notices))
    if keep_suppression:
        suppress(session, suppression_key, email, "erased", now)
    pending = session.scalars(
        select(AddressChange.new_email).where(AddressChange.lead_id == lead.id)
    )
    for address in [email, *pending]:  # a pending new address has counters too
        forget_address(session, suppression_key, address)
    session.delete(lead)
    session.flush()
    session.expunge_all()  # rows the database cascaded away must not linger in the session
    record_event(session, None, "erased", occurred_at=now, source=via)
    audit(session, actor, "erased" if keep_suppression else "retention_deleted", via=via)
    return cancelled
