"""Changing the email address (GDPR art. 16) with a double opt-in at the new address.

Nothing is sent to either address and nothing changes until the new one confirms. An
address that belongs to another lead or is suppressed is answered exactly like any
other (no enumeration; the page answers no sooner than a fixed time, and a lead may ask
only a few times an hour) and gets no mail. The person's own choices kept on the
suppression list (an objection to marketing, a complaint) move to the new address with
them; a bounce stays with the old mailbox. A CRM the lead was handed to gets the new
address (art. 19: `nurture.handoff.corrections`).
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from nurture.audit import audit
from nurture.consent.suppression import suppress, suppression_reason
from nurture.handoff.corrections import tell_crm_of_correction
from nurture.leads.email import normalise_email
from nurture.leads.events import record_event
from nurture.models import AddressChange, Lead
from nurture.prospects.mailing import CONFIRM_ADDRESS, queue_transactional
from nurture.prospects.ratelimit import ADDRESS_CHANGE, LINK_MAIL, allow, mailbox_key
from nurture.prospects.setup import ProspectSetup

ADDRESS_CHANGES_PER_HOUR = 5  # a typo or two; not a way to test addresses one by one
# Suppression reasons that are the person's choice, not their old mailbox's state.
PERSONAL_REASONS = frozenset({"objected", "unsubscribed", "complained"})


def _available(session: Session, setup: ProspectSetup, email: str) -> bool:
    taken = session.scalar(select(Lead.id).where(Lead.email == email))
    return taken is None and suppression_reason(session, setup.suppression_key, email) is None


def request_change(
    session: Session, setup: ProspectSetup, lead: Lead, raw_email: str, locale: str
) -> str:
    """Raises `InvalidEmail`; returns what happened (the caller answers the same anyway)."""
    email = normalise_email(raw_email)
    asking = mailbox_key(setup.suppression_key, ADDRESS_CHANGE, lead.email)
    if not allow(session, asking, ADDRESS_CHANGES_PER_HOUR, setup.wall_now()):
        return "lead limited"
    if email == lead.email or not _available(session, setup, email):
        return "unavailable"
    key = mailbox_key(setup.suppression_key, LINK_MAIL, email)
    if not allow(session, key, setup.confirm_mails_per_hour, setup.wall_now()):
        return "address limited"
    session.execute(delete(AddressChange).where(AddressChange.lead_id == lead.id))
    change = AddressChange(lead_id=lead.id, new_email=email, requested_at=setup.now())
    session.add(change)
    session.flush()
    context = {"to": email, "change": change.public_id, "locale": locale}
    queue_transactional(
        session,
        lead,
        CONFIRM_ADDRESS,
        context,
        now=setup.now(),
        wall_now=setup.wall_now(),
        enqueue=setup.enqueue,
    )
    return "queued"


def apply_change(session: Session, setup: ProspectSetup, change: AddressChange) -> bool:
    lead = session.get_one(Lead, change.lead_id)
    available = _available(session, setup, change.new_email)
    if available:
        kept = suppression_reason(session, setup.suppression_key, lead.email)
        if kept in PERSONAL_REASONS:
            suppress(session, setup.suppression_key, change.new_email, kept, setup.now())
        lead.email = change.new_email
        record_event(
            session,
            lead,
            "data_rectified",
            occurred_at=setup.now(),
            source="link",
            data={"fields": ["email"]},
        )
        audit(session, "subject", "data_rectified", fields=["email"])
        tell_crm_of_correction(session, lead.id, notify=setup.enqueue_deliveries)  # art. 19
    session.execute(delete(AddressChange).where(AddressChange.lead_id == lead.id))
    return available
