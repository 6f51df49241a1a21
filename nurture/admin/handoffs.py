"""The hand-off queue: leads assigned to a rep and waiting for accept or reject.

The pool (unassigned hand-offs) is `nurture.handoff.listing.pool`; this is the other
half of what sales has to act on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from nurture.models import Handoff, Lead

SHOWN = 200


@dataclass(frozen=True)
class QueueEntry:
    handoff_id: str
    lead: str  # the lead's public id
    email: str
    name: str
    company: str | None
    rep: str | None
    reason: str
    assigned_at: datetime | None
    due_at: datetime | None

    def overdue(self, now: datetime) -> bool:
        return self.due_at is not None and self.due_at < now


def queue(session: Session, limit: int = SHOWN) -> list[QueueEntry]:
    """Assigned hand-offs, the nearest deadline first."""
    rows = session.execute(
        select(Handoff, Lead)
        .join(Lead, Lead.id == Handoff.lead_id)
        .where(Handoff.status == "assigned")
        .order_by(Handoff.due_at, Handoff.id)
        .limit(limit)
    ).all()
    return [
        QueueEntry(
            handoff_id=handoff.public_id,
            lead=lead.public_id,
            email=lead.email,
            name=" ".join(p for p in (lead.first_name, lead.last_name) if p),
            company=lead.company,
            rep=handoff.rep_id,
            reason=handoff.reason,
            assigned_at=handoff.assigned_at,
            due_at=handoff.due_at,
        )
        for handoff, lead in rows
    ]
