"""One batch of due enrolments: decide, apply, and create message rows.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent schedulers
take disjoint batches; on SQLite the pass takes the write lock first (`lock_for_writing`)
so a concurrent pass waits and then sees the result. Either way the unique
(enrolment, step) key on messages is the last line of defence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from nurture.campaigns.registry import LoadedCampaign
from nurture.campaigns.schema import Campaign
from nurture.db import lock_for_writing
from nurture.engine.bulk import insert_ignoring_conflicts, update_by_id
from nurture.engine.due import Due, due_enrolments
from nurture.engine.situation import BatchFacts, load_facts, situation_of
from nurture.models import Enrolment, Message, new_public_id
from nurture.scheduling.decide import decide
from nurture.scheduling.steps import next_step
from nurture.scheduling.views import Complete, Decision, Exit, Send, Skip, Wait


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
            self.count(reason, count)

    def count(self, reason: str, by: int = 1) -> None:
        self.reasons[reason] = self.reasons.get(reason, 0) + by


def plan_batch(
    session: Session,
    campaigns: Mapping[str, LoadedCampaign],
    now: datetime,
    suppression_key: str,
    enqueued_at: datetime,
    limit: int = 2_000,
    count_machines: bool = False,
) -> tuple[list[int], PlanCounts, int]:
    """Returns (message ids to enqueue, counts, number of enrolments handled).

    `now` is the schedule's clock (virtual under `--now`); `enqueued_at` is the wall
    clock the recovery sweep compares against.
    """
    lock_for_writing(session)
    batch = due_enrolments(session, list(campaigns), now, limit)
    counts = PlanCounts()
    if not batch:
        return [], counts, 0
    loaded = (c.campaign for c in campaigns.values())
    facts = load_facts(session, batch, loaded, suppression_key, count_machines)
    messages: list[dict[str, Any]] = []
    for due in batch:
        item = campaigns[due.campaign_id]
        decision = _advance(due, item.campaign, facts, now, counts)
        if isinstance(decision, Send):
            messages.append(_message_row(due, item.campaign, decision.step_id, now, enqueued_at))
    changes = [due.changes(campaigns[due.campaign_id].version, now) for due in batch]
    update_by_id(session, Enrolment.__table__, changes)  # type: ignore[arg-type]
    ids = insert_ignoring_conflicts(session, Message.__table__, messages)  # type: ignore[arg-type]
    return ids, counts, len(batch)


def _advance(
    due: Due, campaign: Campaign, facts: BatchFacts, now: datetime, counts: PlanCounts
) -> Decision:
    """Apply decisions until one that ends this pass for the enrolment (skips chain)."""
    situation = situation_of(due, campaign, facts)
    for _ in range(len(campaign.steps) + 1):
        decision = decide(campaign, situation, now)
        if not isinstance(decision, Skip):
            break
        counts.skipped += 1
        counts.count(f"skip:{decision.step_id}:{decision.reason}")
        due.done(decision.step_id, now)
        situation = replace(situation, enrolment=due.view())
    _apply(due, campaign, decision, now, counts)
    return decision


def _apply(
    due: Due, campaign: Campaign, decision: Decision, now: datetime, counts: PlanCounts
) -> None:
    if isinstance(decision, Send):
        counts.queued += 1
        due.done(decision.step_id, now)
        _after_send(due, campaign, now)
    elif isinstance(decision, Wait):
        counts.waiting += 1
        due.next_run_at = decision.until
    elif isinstance(decision, Exit):
        counts.exited += 1
        counts.count(f"exit:{decision.reason}")
        due.status, due.exit_reason, due.next_run_at = "exited", decision.reason, None
    elif isinstance(decision, Complete):
        counts.completed += 1
        due.status, due.next_run_at = "completed", None


def _after_send(due: Due, campaign: Campaign, now: datetime) -> None:
    """Look again when the next step can first be due (its window is decided then)."""
    following = next_step(campaign.step_ids, due.steps_done)
    step = campaign.step(following) if following else None
    if step is None:
        due.status, due.next_run_at = "completed", None
        return
    due.next_run_at = now + step.after


def _message_row(
    due: Due, campaign: Campaign, step_id: str, now: datetime, enqueued_at: datetime
) -> dict[str, Any]:
    return {
        "public_id": new_public_id(),
        "enrolment_id": due.id,
        "lead_id": due.lead_id,
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
        "enqueued_at": enqueued_at,
    }
