"""One batch of due enrolments: decide, apply, and create message rows.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent schedulers
take disjoint batches; on SQLite the enrolment's version column and the unique
(enrolment, step) key on messages make a concurrent pass fail harmlessly instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from nurture.campaigns.registry import LoadedCampaign
from nurture.campaigns.schema import Campaign
from nurture.db import is_postgres
from nurture.engine.situation import BatchFacts, load_facts, situation_of
from nurture.models import Enrolment, Message, new_public_id
from nurture.scheduling.decide import decide
from nurture.scheduling.views import (
    Complete,
    Decision,
    EnrolmentView,
    Exit,
    Send,
    Situation,
    Skip,
    Wait,
)


@dataclass
class PlanCounts:
    queued: int = 0
    skipped: int = 0
    waiting: int = 0
    exited: int = 0
    completed: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def add(self, other: PlanCounts) -> None:
        for name in ("queued", "skipped", "waiting", "exited", "completed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for reason, count in other.reasons.items():
            self.reasons[reason] = self.reasons.get(reason, 0) + count


def due_enrolments(
    session: Session, campaign_ids: list[str], now: datetime, limit: int
) -> list[Enrolment]:
    query = (
        select(Enrolment)
        .where(Enrolment.status == "active", Enrolment.next_run_at <= now)
        .where(Enrolment.campaign_id.in_(campaign_ids))
        .order_by(Enrolment.next_run_at)
        .limit(limit)
    )
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def plan_batch(
    session: Session,
    campaigns: Mapping[str, LoadedCampaign],
    now: datetime,
    suppression_key: str,
    enqueued_at: datetime,
    limit: int = 1_000,
) -> tuple[list[int], PlanCounts, int]:
    """Returns (message ids to enqueue, counts, number of enrolments handled).

    `now` is the schedule's clock (virtual under `--now`); `enqueued_at` is the wall
    clock the recovery sweep compares against.
    """
    enrolments = due_enrolments(session, list(campaigns), now, limit)
    counts = PlanCounts()
    if not enrolments:
        return [], counts, 0
    facts = load_facts(
        session, enrolments, (c.campaign for c in campaigns.values()), suppression_key
    )
    messages: list[dict[str, Any]] = []
    for enrolment in enrolments:
        item = campaigns[enrolment.campaign_id]
        decision = _advance(enrolment, item, facts, now, counts)
        if isinstance(decision, Send):
            row = _message_row(enrolment, item.campaign, decision.step_id, now)
            messages.append({**row, "enqueued_at": enqueued_at})
    session.flush()
    return _insert_messages(session, messages), counts, len(enrolments)


def _advance(
    enrolment: Enrolment, item: LoadedCampaign, facts: BatchFacts, now: datetime, counts: PlanCounts
) -> Decision:
    """Apply decisions until one that ends this pass for the enrolment (skips chain)."""
    campaign = item.campaign
    enrolment.campaign_version = item.version
    situation = situation_of(enrolment, campaign, facts)
    for _ in range(len(campaign.steps) + 1):
        decision = decide(campaign, situation, now)
        if not isinstance(decision, Skip):
            break
        counts.skipped += 1
        _count(counts, f"skip:{decision.step_id}:{decision.reason}")
        _done(enrolment, decision.step_id, now)
        situation = _with_enrolment(situation, enrolment)
    _apply(enrolment, decision, now, counts)
    return decision


def _with_enrolment(situation: Situation, enrolment: Enrolment) -> Situation:
    view = EnrolmentView(enrolment.enrolled_at, enrolment.last_step_at, tuple(enrolment.steps_done))
    return replace(situation, enrolment=view)


def _done(enrolment: Enrolment, step_id: str, now: datetime) -> None:
    enrolment.steps_done = [*enrolment.steps_done, step_id]
    enrolment.last_step_at = now


def _apply(enrolment: Enrolment, decision: Decision, now: datetime, counts: PlanCounts) -> None:
    if isinstance(decision, Send):
        counts.queued += 1
        _done(enrolment, decision.step_id, now)
        # Re-evaluated next pass: the decision there computes the real wait and window.
        enrolment.next_run_at = now
    elif isinstance(decision, Wait):
        counts.waiting += 1
        enrolment.next_run_at = decision.until
    elif isinstance(decision, Exit):
        counts.exited += 1
        _count(counts, f"exit:{decision.reason}")
        enrolment.status, enrolment.exit_reason, enrolment.next_run_at = (
            "exited",
            decision.reason,
            None,
        )
    elif isinstance(decision, Complete):
        counts.completed += 1
        enrolment.status, enrolment.next_run_at = "completed", None
    enrolment.updated_at = now


def _count(counts: PlanCounts, reason: str) -> None:
    counts.reasons[reason] = counts.reasons.get(reason, 0) + 1


def _message_row(
    enrolment: Enrolment, campaign: Campaign, step_id: str, now: datetime
) -> dict[str, Any]:
    return {
        "public_id": new_public_id(),
        "enrolment_id": enrolment.id,
        "lead_id": enrolment.lead_id,
        "campaign_id": campaign.id,
        "step_id": step_id,
        "kind": "marketing",
        "purpose": campaign.purpose,
        "status": "queued",
        "attempts": 0,
        "context": {},
        "tracked": False,
        "scheduled_for": now,
        "created_at": now,
        "updated_at": now,
    }


def _insert_messages(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    dialect = postgresql if is_postgres(session) else sqlite
    statement = dialect.insert(Message).on_conflict_do_nothing().returning(Message.id)
    return [row.id for row in session.execute(statement, rows)]
