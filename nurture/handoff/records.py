"""Reading and writing hand-off rows, the lead's owner and the hand-off's timeline."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from nurture.db import is_postgres, member_of
from nurture.handoff.routing import RepLoad
from nurture.models import Event, Handoff, Lead
from nurture.models.handoff import OPEN_STATUSES

# Any constant shared by every process: serialises rep choice, so two workers handing
# over leads at the same moment do not both pick the same "next" rep.
_ROUTING_LOCK = 4_000_000_004


def note(session: Session, lead_id: int, event_type: str, now: datetime, **data: Any) -> None:
    """A timeline event; source `system` (sales actions arrive through our own services)."""
    session.add(
        Event(lead_id=lead_id, type=event_type, occurred_at=now, source="system", data=data)
    )


def open_handoffs(session: Session, lead_ids: Iterable[int]) -> dict[int, Handoff]:
    ids = list(lead_ids)
    if not ids:
        return {}
    query = select(Handoff).where(
        member_of(session, Handoff.lead_id, ids), Handoff.status.in_(OPEN_STATUSES)
    )
    return {handoff.lead_id: handoff for handoff in session.scalars(query)}


def lock_routing(session: Session) -> None:
    """Held until the transaction ends. SQLite serialises writers on its own."""
    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ROUTING_LOCK})


# Timeline events of an assignment (`start.assign`), each naming the rep in `data.rep`.
ASSIGNED_EVENTS = ("handoff_assigned", "handoff_claimed")


def rep_loads(session: Session) -> dict[str, RepLoad]:
    """Open leads and latest assignment per rep id.

    The latest assignment comes from the timeline, not from the hand-offs' current
    owner: a recalled hand-off loses its rep, and a rep who let a lead run past its SLA
    must not look like one who was never given any (round robin would pick them next).
    """
    opened = session.execute(
        select(Handoff.rep_id, func.count())
        .where(Handoff.rep_id.is_not(None), Handoff.status.in_(("assigned", "accepted")))
        .group_by(Handoff.rep_id)
    ).all()
    rep = Event.data["rep"].as_string()
    latest = session.execute(
        select(rep, func.max(Event.occurred_at), func.max(Event.id))
        .where(Event.type.in_(ASSIGNED_EVENTS))
        .group_by(rep)
    ).all()
    loads = {rep_id: RepLoad(open=count) for rep_id, count in opened if rep_id}
    for rep_id, at, event_id in latest:
        if rep_id and at is not None:
            loads[rep_id] = RepLoad(open=loads.get(rep_id, RepLoad()).open, last=(at, event_id))
    return loads


def set_owner(session: Session, lead_id: int, owner: str | None) -> None:
    session.execute(update(Lead).where(Lead.id == lead_id).values(owner=owner))
