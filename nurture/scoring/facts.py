"""Reading what the pure scoring function needs, for a batch of leads, in two queries.

Core selects of the needed columns rather than ORM objects: a recompute reads every lead
and millions of events, and building ORM instances would cost more than the scoring.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ColumnElement, DateTime, case, select, text, type_coerce
from sqlalchemy.orm import Session

from nurture.db import is_postgres
from nurture.models import Event, Lead
from nurture.models.lead import CONTRACT_FIELDS
from nurture.scoring.rules import BehaviourRule, Disqualifier, ScoringRules
from nurture.scoring.stages import REJECTED
from nurture.scoring.views import NO_DATA, EventFact, LeadFacts

_STATE = ("score", "fit_score", "engagement_score", "temperature", "lifecycle_stage")
_COLUMNS = ("id", *CONTRACT_FIELDS, "attributes", "profiling_objected", "restricted_at", *_STATE)


@dataclass(frozen=True)
class LeadRow:
    """One lead as read for scoring: its facts and its stored score."""

    id: int
    facts: LeadFacts
    score: int
    fit: int
    engagement: int
    country: str | None
    restricted: bool = False  # GDPR art. 18: neither scored nor handed to sales

    @property
    def profiling_objected(self) -> bool:
        return self.facts.profiling_objected


def event_types(rules: ScoringRules) -> tuple[set[str], set[str]]:
    """(types any rule reads, types whose data a rule reads)."""
    types, with_data = {REJECTED}, set()
    tests: list[BehaviourRule | Disqualifier] = [*rules.behaviour, *rules.disqualify]
    for test in tests:
        if test.event is None:
            continue
        types.add(test.event)
        if test.url is not None or test.form is not None or test.data:
            with_data.add(test.event)
    for stage in (rules.stages.mql, rules.stages.sql, rules.stages.customer):
        types.update(stage.events)
    return types, with_data


def load_leads(session: Session, lead_ids: Sequence[int], lock: bool = True) -> list[LeadRow]:
    """The leads, in id order, locked on PostgreSQL so two updates of one lead queue up."""
    columns = [getattr(Lead, name) for name in _COLUMNS]
    query = select(*columns).where(Lead.id.in_(lead_ids)).order_by(Lead.id)
    if lock and is_postgres(session):
        query = query.with_for_update()
    return [_lead_row(row._mapping) for row in session.execute(query)]


def _lead_row(row: Any) -> LeadRow:
    fields = {name: row[name] for name in (*CONTRACT_FIELDS, "attributes")}
    facts = LeadFacts(
        fields=fields,
        temperature=row["temperature"],
        stage=row["lifecycle_stage"],
        profiling_objected=row["profiling_objected"],
    )
    return LeadRow(
        row["id"],
        facts,
        row["score"],
        row["fit_score"],
        row["engagement_score"],
        row["country"],
        restricted=row["restricted_at"] is not None,
    )


def load_events(
    session: Session, lead_ids: Sequence[int], rules: ScoringRules, now: datetime
) -> dict[int, list[EventFact]]:
    """The events the rules read, per lead; data only where a rule needs it.

    Unordered: the pure function sorts each lead's few events, far cheaper than a sort of
    the whole batch in the database (which spills to disk at recompute sizes).
    """
    types, with_data = event_types(rules)
    data = type_coerce(case((Event.type.in_(with_data), Event.data), else_=None), JSON)
    occurred_at: ColumnElement[datetime] = Event.occurred_at.expression
    if is_postgres(session):
        # psycopg returns aware datetimes already, with `timezone.utc` when the session's
        # zone is "UTC" (a ZoneInfo otherwise, several times slower in every comparison
        # scoring makes): skip UTCDateTime's per-row conversion. For this transaction only.
        session.execute(text("SET LOCAL timezone TO 'UTC'"))
        occurred_at = type_coerce(Event.occurred_at, DateTime(timezone=True))
    query = select(
        Event.lead_id, Event.id, Event.type, occurred_at, Event.classification, data
    ).where(Event.lead_id.in_(lead_ids), Event.type.in_(types), Event.occurred_at <= now)
    events: dict[int, list[EventFact]] = defaultdict(list)
    for lead_id, event_id, kind, at, classification, details in session.execute(query):
        fact = EventFact(event_id, kind, at, classification, details or NO_DATA)
        events[lead_id or 0].append(fact)
    return events
