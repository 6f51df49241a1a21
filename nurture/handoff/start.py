"""Handing ready leads to sales, and closing hand-offs whose lead bought or cannot buy.

Called by every score update with the batch's results, so a lead is handed over in the
same transaction that made it ready: pushed to a rep (round robin, territory, capacity)
or left in the pool. Deliveries (owner email, CRM webhook) are rows here; the caller
enqueues their ids once committed.

A lead whose person objected to profiling is never handed over while that holds, and an
open hand-off found for one is withdrawn: the preference centre withdraws it at once,
this catches whatever was open before that. Restricted leads (art. 18) are not scored,
so they never reach `sync_handoffs`: `withdraw_restricted` does the same for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from nurture.handoff import records
from nurture.handoff.deliveries import plan_deliveries
from nurture.handoff.routing import RepLoad, choose_rep
from nurture.handoff.withdraw import PROFILING_OBJECTED, RESTRICTED, withdraw
from nurture.models import Handoff
from nurture.scoring.rules import HandoffRules, Rep, ScoringRules
from nurture.scoring.views import ScoreResult

_FINAL_STAGES = {"customer": "became a customer", "disqualified": "disqualified"}


class Scored(Protocol):
    """A scored lead, as the score update has it (`nurture.scoring.facts.LeadRow`)."""

    @property
    def id(self) -> int: ...
    @property
    def country(self) -> str | None: ...
    @property
    def profiling_objected(self) -> bool: ...


@dataclass
class Started:
    started: int = 0
    deliveries: list[int] = field(default_factory=list)


def withdraw_restricted(session: Session, lead_ids: Sequence[int], now: datetime) -> list[int]:
    """Restricted leads are not scored (art. 18), so `sync_handoffs` never sees them: any
    hand-off left open for one is withdrawn here. Returns the deliveries to enqueue."""
    deliveries: list[int] = []
    for handoff in records.open_handoffs(session, lead_ids).values():
        deliveries += withdraw(session, handoff, RESTRICTED, now, actor="system")
    return deliveries


def sync_handoffs(
    session: Session,
    results: Sequence[tuple[Scored, ScoreResult]],
    rules: ScoringRules,
    now: datetime,
) -> Started:
    opened = records.open_handoffs(session, [row.id for row, _ in results])
    started = Started()
    for row, result in results:
        handoff = opened.get(row.id)
        if handoff is None:
            continue
        if result.stage in _FINAL_STAGES:
            close(session, handoff, _FINAL_STAGES[result.stage], now)
        elif row.profiling_objected:
            started.deliveries += withdraw(
                session, handoff, PROFILING_OBJECTED, now, actor="system"
            )
    config = rules.handoff
    ready = [
        (row, res)
        for row, res in results
        if res.handoff and row.id not in opened and not row.profiling_objected
    ]
    if config is None or not ready:
        return started
    records.lock_routing(session)
    loads = records.rep_loads(session) if config.mode == "push" else {}
    for row, result in ready:
        handoff = _start(session, row, result.handoff or "", config, loads, now)
        started.started += 1
        event = "lead.assigned" if handoff.status == "assigned" else "lead.pooled"
        started.deliveries += plan_deliveries(session, handoff, config, event)
    return started


def _start(
    session: Session,
    row: Scored,
    reason: str,
    config: HandoffRules,
    loads: dict[str, RepLoad],
    now: datetime,
) -> Handoff:
    rep = choose_rep(config.reps, row.country, loads) if config.mode == "push" else None
    handoff = Handoff(
        lead_id=row.id,
        status="pooled",
        mode=config.mode,
        reason=reason,
        due_at=now + config.sla,
        created_at=now,
        updated_at=now,
    )
    session.add(handoff)
    session.flush()
    if rep is not None:
        assign(session, handoff, rep, config, now)
        loads[rep.id] = RepLoad(loads.get(rep.id, RepLoad()).open + 1, (now, handoff.id))
    else:
        why = "no rep available" if config.mode == "push" else "waiting for a rep to claim it"
        records.note(session, row.id, "handoff_pooled", now, handoff=handoff.public_id, why=why)
    return handoff


def assign(
    session: Session,
    handoff: Handoff,
    rep: Rep,
    config: HandoffRules,
    now: datetime,
    event: str = "handoff_assigned",
) -> None:
    """The rep owns the lead now, and has `sla` to accept or reject it."""
    handoff.status, handoff.rep_id = "assigned", rep.id
    handoff.assigned_at, handoff.due_at, handoff.updated_at = now, now + config.sla, now
    records.set_owner(session, handoff.lead_id, rep.id)
    records.note(session, handoff.lead_id, event, now, handoff=handoff.public_id, rep=rep.id)


def close(session: Session, handoff: Handoff, reason: str, now: datetime) -> None:
    handoff.status, handoff.close_reason = "closed", reason
    handoff.closed_at, handoff.updated_at, handoff.due_at = now, now, None
    records.note(
        session, handoff.lead_id, "handoff_closed", now, handoff=handoff.public_id, why=reason
    )
