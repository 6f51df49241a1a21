"""What sales looks at: the pool, the reps and their load, the delivery log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from nurture.handoff import records
from nurture.handoff.routing import RepLoad
from nurture.models import Handoff, HandoffDelivery, Lead
from nurture.scoring.rules import HandoffRules

MORE_ATTEMPTS = 3


@dataclass(frozen=True)
class PoolEntry:
    handoff_id: str
    email: str
    name: str
    company: str | None
    country: str | None
    score: int
    temperature: str
    stage: str
    reason: str
    since: datetime
    due_at: datetime | None
    recalls: int

    def overdue(self, now: datetime) -> bool:
        return self.due_at is not None and self.due_at < now


def pool(session: Session, limit: int = 200) -> list[PoolEntry]:
    """Pooled hand-offs, the longest waiting first."""
    rows = session.execute(
        select(Handoff, Lead)
        .join(Lead, Lead.id == Handoff.lead_id)
        .where(Handoff.status == "pooled")
        .order_by(Handoff.created_at, Handoff.id)
        .limit(limit)
    ).all()
    return [
        PoolEntry(
            handoff_id=handoff.public_id,
            email=lead.email,
            name=" ".join(p for p in (lead.first_name, lead.last_name) if p),
            company=lead.company,
            country=lead.country,
            score=lead.score,
            temperature=lead.temperature,
            stage=lead.lifecycle_stage,
            reason=handoff.reason,
            since=handoff.created_at,
            due_at=handoff.due_at,
            recalls=handoff.recalls,
        )
        for handoff, lead in rows
    ]


@dataclass(frozen=True)
class RepLine:
    id: str
    name: str | None
    active: bool
    countries: list[str] | None
    max_open: int | None
    load: RepLoad


def reps(session: Session, config: HandoffRules) -> list[RepLine]:
    loads = records.rep_loads(session)
    return [
        RepLine(
            rep.id, rep.name, rep.active, rep.countries, rep.max_open, loads.get(rep.id, RepLoad())
        )
        for rep in config.reps
    ]


def deliveries(session: Session, statuses: list[str], limit: int = 100) -> list[HandoffDelivery]:
    query = (
        select(HandoffDelivery)
        .where(HandoffDelivery.status.in_(statuses))
        .order_by(HandoffDelivery.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def redeliver(session: Session, public_ids: list[str], now: datetime) -> list[int]:
    """Failed deliveries get `MORE_ATTEMPTS` more; returns the ids to enqueue."""
    ids = list(
        session.scalars(
            select(HandoffDelivery.id).where(
                HandoffDelivery.public_id.in_(public_ids), HandoffDelivery.status == "failed"
            )
        )
    )
    if ids:
        session.execute(
            update(HandoffDelivery)
            .where(HandoffDelivery.id.in_(ids))
            .values(
                status="pending",
                next_attempt_at=None,
                max_attempts=HandoffDelivery.attempts + MORE_ATTEMPTS,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
    return ids
