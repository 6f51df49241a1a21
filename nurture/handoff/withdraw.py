"""Taking a lead back from sales when the person objects or restricts processing.

An objection to profiling, to direct marketing (GDPR art. 21) or a restriction of
processing (art. 18) ends what a hand-off is for: a rep working a scored lead. The open
hand-off becomes `withdrawn` (terminal, like `closed`), the lead loses its owner, the
timeline records why (`handoff_withdrawn`), and every CRM the hand-off's webhooks went
to gets `lead.withdrawn` so it stops working the lead too (art. 19 for a restriction).

Deliveries of the hand-off still waiting are not sent after this: the deliverer refuses
them (`nurture.handoff.deliver`). One already being posted when the request commits (its
claim committed before the POST) cannot be called back and may even arrive after
`lead.withdrawn`; the body's `handoff.status` and `closed_at` let the CRM order them. The
CRM may also have stored one that was attempted, which is why `lead.withdrawn` goes to
every CRM URL the hand-off had a delivery for, tried or not.

Services flush, never commit; the caller's unit of work enqueues the deliveries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from nurture.audit import audit
from nurture.db import after_commit
from nurture.handoff import records
from nurture.handoff.deliveries import crm_targets, plan_follow_up
from nurture.models import Handoff

WITHDRAWN = "withdrawn"
# Why, as stored in `close_reason`, the timeline and the webhook: a code, not prose, so
# a CRM can act on it (a restriction also binds the CRM; an objection to direct
# marketing forbids the rep's call as much as our mail).
RESTRICTED = "restricted"
PROFILING_OBJECTED = "objected_to_profiling"
MARKETING_OBJECTED = "objected_to_marketing"
REASONS = (RESTRICTED, PROFILING_OBJECTED, MARKETING_OBJECTED)


def withdraw(
    session: Session, handoff: Handoff, reason: str, now: datetime, actor: str
) -> list[int]:
    """End this open hand-off; returns the `lead.withdrawn` deliveries to enqueue."""
    assert reason in REASONS, reason
    handoff.status, handoff.close_reason = WITHDRAWN, reason
    handoff.closed_at, handoff.updated_at, handoff.due_at = now, now, None
    # The rep stays on the hand-off (who had it: the CRM's payload names them); the lead
    # itself is nobody's any more, as after a recall.
    records.set_owner(session, handoff.lead_id, None)
    records.note(
        session,
        handoff.lead_id,
        "handoff_withdrawn",
        now,
        handoff=handoff.public_id,
        rep=handoff.rep_id,
        why=reason,
    )
    audit(session, actor, "handoff_withdrawn", reason=reason)  # no ids: nothing personal
    targets = crm_targets(session, [handoff.id], attempted=False)
    return plan_follow_up(session, handoff, "lead.withdrawn", targets)


def withdraw_lead(
    session: Session,
    lead_id: int,
    reason: str,
    now: datetime,
    *,
    notify: Callable[[Sequence[int]], None] | None = None,
) -> bool:
    """The person's request: withdraw the lead's open hand-off, if it has one.

    Call it after locking the lead (`nurture.prospects.consent.one_at_a_time`): a score
    update handing the lead over at the same moment then either committed first (and
    its hand-off is found here) or waits and sees the request. ``notify`` gets the
    delivery ids once committed; without it the next scheduler pass enqueues them."""
    handoff = records.open_handoffs(session, [lead_id]).get(lead_id)
    if handoff is None:
        return False
    ids = withdraw(session, handoff, reason, now, actor="subject")
    if ids and notify is not None:
        after_commit(session, lambda: notify(ids))
    return True
