"""Writing a batch of scores back: lead columns, ledgers and transition events, in bulk.

Only leads whose score changed are updated, and their `updated_at` is left alone: a score
is derived data, and a nightly decay refresh must not make every lead look recently
touched (retention reads activity from events, and people read `updated_at`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from nurture.db import is_postgres
from nurture.models import Event, Lead, ScoreLedger
from nurture.scoring.facts import LeadRow
from nurture.scoring.views import LedgerLine, ScoreResult

_LEADS = cast(Table, Lead.__table__)
_UPDATE_LEAD = (
    update(_LEADS)
    .where(_LEADS.c.id == bindparam("b_id"))
    .values(
        score=bindparam("b_score"),
        fit_score=bindparam("b_fit"),
        engagement_score=bindparam("b_engagement"),
        temperature=bindparam("b_temperature"),
        lifecycle_stage=bindparam("b_stage"),
        updated_at=_LEADS.c.updated_at,
    )
)


def line_json(line: LedgerLine) -> list[Any]:
    """A ledger line as stored (`ScoreLedger.lines`): a list, not an object, because a
    recompute writes millions of them and keys would double the bytes."""
    at = int(line.at.timestamp()) if line.at is not None else None
    points = line.points
    return [
        line.kind,
        line.rule,
        points,
        round(line.weighted, 2),
        line.note,
        line.event_id,
        line.event_type,
        at,
    ]


def changed(row: LeadRow, result: ScoreResult) -> bool:
    facts = row.facts
    return (row.score, row.fit, row.engagement, facts.temperature, facts.stage) != (
        result.total,
        result.fit,
        result.engagement,
        result.temperature,
        result.stage,
    )


def update_leads(session: Session, updates: Sequence[tuple[int, ScoreResult]]) -> None:
    if not updates:
        return
    params = [
        {
            "b_id": lead_id,
            "b_score": result.total,
            "b_fit": result.fit,
            "b_engagement": result.engagement,
            "b_temperature": result.temperature,
            "b_stage": result.stage,
        }
        for lead_id, result in updates
    ]
    session.execute(_UPDATE_LEAD, params)


def save_ledgers(
    session: Session, ledgers: Sequence[tuple[int, ScoreResult]], version: str, now: datetime
) -> None:
    """Replace each lead's ledger (an upsert: one statement per batch)."""
    if not ledgers:
        return
    rows = [
        {
            "lead_id": lead_id,
            "computed_at": now,
            "rules_version": version,
            "lines": [line_json(line) for line in result.ledger],
        }
        for lead_id, result in ledgers
    ]
    dialect = postgresql if is_postgres(session) else sqlite
    statement = dialect.insert(ScoreLedger)
    statement = statement.on_conflict_do_update(
        index_elements=[ScoreLedger.lead_id],
        set_={
            "computed_at": statement.excluded.computed_at,
            "rules_version": statement.excluded.rules_version,
            "lines": statement.excluded.lines,
        },
    )
    session.execute(statement, rows)


def forget_ledgers(session: Session, lead_ids: Iterable[int]) -> None:
    ids = list(lead_ids)
    if ids:
        session.execute(delete(ScoreLedger).where(ScoreLedger.lead_id.in_(ids)))


def record_transitions(
    session: Session, events: Sequence[tuple[int, str, dict[str, Any]]], now: datetime
) -> None:
    if not events:
        return
    rows = [
        {
            "lead_id": lead_id,
            "type": event_type,
            "occurred_at": now,
            "source": "system",
            "data": data,
            "created_at": now,
        }
        for lead_id, event_type, data in events
    ]
    session.execute(insert(Event), rows)
