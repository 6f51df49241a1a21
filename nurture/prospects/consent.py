"""The prospect's consent decisions through signed links: confirm, unsubscribe, object.

An objection to direct marketing (GDPR art. 21(2)-(3)) is absolute and global: every
purpose the lead has is withdrawn in the ledger (the proof), the address goes on the
suppression list with reason `objected` (which stops every campaign, including ones
created later and legitimate-interest imports, and survives a re-import), profiling
stops: the score is zeroed and the score ledger deleted in the same transaction, and
an open hand-off to sales is withdrawn (the CRM is told to stop too). Only
the person can reverse it, by ticking a topic again in the preference centre, which
proves control of the mailbox (see `nurture.prospects.preferences`).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nurture.audit import audit
from nurture.consent.ledger import append, current
from nurture.consent.suppression import suppress
from nurture.db import lock_for_writing
from nurture.handoff.withdraw import MARKETING_OBJECTED, withdraw_lead
from nurture.leads.events import record_event
from nurture.models import Lead, Message
from nurture.prospects.setup import Origin, ProspectSetup
from nurture.scoring.service import clear_profile


def one_at_a_time(session: Session, lead: Lead) -> None:
    """Decisions on one lead take turns: a mail client that posts a one-click twice at
    once (or a double-clicked button) must not have both requests read the state before
    either wrote it. The second waits for the first to commit, then reads its result."""
    lock_for_writing(session)  # SQLite: its single write lock
    session.refresh(lead, with_for_update=True)  # PostgreSQL: the lead's row


def confirm(
    session: Session, setup: ProspectSetup, lead: Lead, purposes: list[str], origin: Origin
) -> list[str]:
    """Confirm the still-pending purposes of the link; returns those confirmed now."""
    one_at_a_time(session, lead)
    states = current(session, lead.id)
    confirmed = [p for p in purposes if p in states and states[p].status == "pending"]
    for purpose in confirmed:
        proof = setup.proof("link", origin, proof="double opt-in link")
        append(session, lead, purpose, "confirmed", proof, setup.now())
    return confirmed


def withdraw(
    session: Session,
    setup: ProspectSetup,
    lead: Lead,
    purpose: str,
    campaign_id: str | None,
    origin: Origin,
) -> bool:
    """Withdraw one purpose (unsubscribe link); False when it was withdrawn already."""
    one_at_a_time(session, lead)
    state = current(session, lead.id).get(purpose)
    if state is not None and state.status == "withdrawn":
        return False
    proof = setup.proof("link", origin, proof="unsubscribe link")
    append(session, lead, purpose, "withdrawn", proof, setup.now())
    _record_unsubscribe(session, setup, lead, campaign_id, {"purpose": purpose})
    return True


def _record_unsubscribe(
    session: Session,
    setup: ProspectSetup,
    lead: Lead,
    campaign_id: str | None,
    data: dict[str, str],
) -> None:
    """The `unsubscribed` event, filed under the campaign's last step sent to the lead:
    reports count it there even once the lead is erased (its messages then no longer
    name it, and could not be looked up)."""
    now = setup.now()
    last = None
    if campaign_id is not None:
        last = session.execute(
            select(Message.step_id, Message.id)
            .where(Message.lead_id == lead.id, Message.campaign_id == campaign_id)
            .where(Message.status == "sent", Message.sent_at <= now)
            .order_by(Message.sent_at.desc(), Message.id.desc())
            .limit(1)
        ).first()
    record_event(
        session,
        lead,
        "unsubscribed",
        occurred_at=now,
        source="link",
        campaign_id=campaign_id,
        step_id=last.step_id if last else None,
        message_id=last.id if last else None,
        data=data,
    )


def object_to_marketing(
    session: Session, setup: ProspectSetup, lead: Lead, campaign_id: str | None, origin: Origin
) -> None:
    """Art. 21 objection: withdraw everything, suppress the address, stop profiling."""
    one_at_a_time(session, lead)
    for purpose, state in current(session, lead.id).items():
        if state.status != "withdrawn":
            proof = setup.proof("link", origin, proof="objection to direct marketing")
            append(session, lead, purpose, "withdrawn", proof, setup.now())
    suppress(session, setup.suppression_key, lead.email, "objected", setup.now())
    lead.profiling_objected = True
    clear_profile(session, lead.id)
    # A rep's call is direct marketing too: sales lets go of the lead as well.
    withdraw_lead(
        session, lead.id, MARKETING_OBJECTED, setup.now(), notify=setup.enqueue_deliveries
    )
    _record_unsubscribe(session, setup, lead, campaign_id, {"scope": "all"})
    audit(session, "subject", "marketing_objected", via="link")
