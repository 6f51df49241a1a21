"""Telling the CRM that a lead's profile changed: `lead.updated`.

When a person corrects their data (GDPR art. 19 for art. 16), every CRM a hand-off
webhook of the lead was tried on may hold the old values (it may have stored a body and
still answered an error), so each gets one `lead.updated`: the usual signed webhook with
the profile as it is now, on the lead's most recent hand-off — the record the CRM looks
at, open or ended. A CRM the lead never reached is told nothing: the correction would be
news to it.

When new data merges into a lead from an import, the API or a vendor's mail, only the
CRMs of an *open* hand-off are told (`tell_crm_of_changes`): sales is working the lead
and wants the new phone number, while a CRM whose hand-off ended (rejected, withdrawn
after an objection, closed) has no purpose for more of the person's data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from nurture.db import after_commit
from nurture.handoff.deliveries import crm_targets, plan_follow_up
from nurture.handoff.records import open_handoffs
from nurture.models import Handoff

CORRECTION = "correction"  # `HandoffDelivery.cause`: the person corrected their data
MERGE = "merge"  # new data from an import, the API or a vendor's mail


def tell_crm_of_correction(
    session: Session, lead_id: int, *, notify: Callable[[Sequence[int]], None] | None = None
) -> list[int]:
    """Plan `lead.updated` for each CRM that got the lead; returns the delivery ids.

    ``notify`` gets them once committed; without it the next scheduler pass enqueues them."""
    handoffs = list(
        session.scalars(
            select(Handoff).where(Handoff.lead_id == lead_id).order_by(Handoff.id.desc())
        )
    )
    if not handoffs:
        return []
    targets = crm_targets(session, [handoff.id for handoff in handoffs], attempted=True)
    ids = plan_follow_up(session, handoffs[0], "lead.updated", targets, CORRECTION)
    if ids and notify is not None:
        after_commit(session, lambda: notify(ids))
    return ids


def tell_crm_of_changes(session: Session, lead_ids: Sequence[int]) -> list[int]:
    """Plan `lead.updated` on the open hand-off of each of these leads (those whose
    profile just changed), for each CRM its webhook was tried on; returns the delivery
    ids, for the caller to enqueue once committed. Not sent if the hand-off has ended
    by then (`Deliverer`)."""
    ids: list[int] = []
    for handoff in open_handoffs(session, lead_ids).values():
        targets = crm_targets(session, [handoff.id], attempted=True)
        ids += plan_follow_up(session, handoff, "lead.updated", targets, MERGE)
    return ids
