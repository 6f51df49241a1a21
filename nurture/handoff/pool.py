"""What sales does with a hand-off: claim it from the pool, accept it, or reject it.

A rejection sends the lead back to nurture: the hand-off ends, the lead loses its owner,
its stage goes back to `handoff.returned.stage`, and `sales_rejected` (with the reason)
is recorded, so the scoring rules can weigh it and a disqualifier can act on it. The
lead is rescored in the same transaction. Services flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from nurture.handoff import records
from nurture.handoff.deliveries import plan_deliveries
from nurture.handoff.routing import RepLoad
from nurture.handoff.start import assign
from nurture.leads.service import find_lead
from nurture.models import Handoff, Lead
from nurture.models.handoff import OPEN_STATUSES
from nurture.scoring.rules import HandoffRules, Rep, ScoringRules
from nurture.scoring.service import update_scores
from nurture.scoring.stages import REJECTED, STAGE_RANK
from nurture.scoring.transitions import STAGE_EVENTS


class SalesError(ValueError):
    """A sales action that cannot be done now; the message says why."""


class HandoffNotFound(SalesError):
    pass


class UnknownRep(SalesError):
    pass


@dataclass(frozen=True)
class Sales:
    """The rules and clock every sales action needs, next to its session."""

    rules: ScoringRules
    now: datetime
    count_machines: bool = False

    @property
    def handoff(self) -> HandoffRules:
        if self.rules.handoff is None:
            raise SalesError("scoring.yaml has no `handoff` section: nothing goes to sales")
        return self.rules.handoff

    def rep(self, rep_id: str) -> Rep:
        rep = self.handoff.rep(rep_id)
        if rep is None or not rep.active:
            known = ", ".join(r.id for r in self.handoff.reps if r.active) or "none"
            raise UnknownRep(f"{rep_id!r} is not an active rep in scoring.yaml (active: {known})")
        return rep


def find_open(
    session: Session, *, handoff_id: str | None = None, email: str | None = None
) -> Handoff:
    """The open hand-off with this public id, or of the lead with this address, locked.

    The lead is locked before the hand-off, in the order a score update takes them, so a
    sales action and a score update of the same lead queue up instead of deadlocking.
    """
    query = select(Handoff).where(Handoff.status.in_(OPEN_STATUSES))
    if handoff_id is not None:
        found = session.scalar(query.where(Handoff.public_id == handoff_id))
    else:
        lead = find_lead(session, email or "")
        found = session.scalar(query.where(Handoff.lead_id == lead.id)) if lead else None
    if found is not None:
        session.execute(select(Lead.id).where(Lead.id == found.lead_id).with_for_update())
        session.refresh(found, with_for_update=True)
    if found is None or found.status not in OPEN_STATUSES:
        raise HandoffNotFound(f"no open hand-off for {handoff_id or email!r}")
    return found


def claim(session: Session, sales: Sales, handoff: Handoff, rep_id: str) -> list[int]:
    if handoff.status != "pooled":
        raise SalesError(f"this lead is already {handoff.status} (owner: {handoff.rep_id})")
    rep = sales.rep(rep_id)
    load = records.rep_loads(session).get(rep.id, RepLoad())
    if rep.max_open is not None and load.open >= rep.max_open:
        raise SalesError(f"{rep_id} already has {load.open} open leads, the most allowed")
    assign(session, handoff, rep, sales.handoff, sales.now, event="handoff_claimed")
    return plan_deliveries(session, handoff, sales.handoff, "lead.claimed")


def accept(session: Session, sales: Sales, handoff: Handoff, rep_id: str | None) -> list[int]:
    deliveries = []
    if handoff.status == "pooled":
        if rep_id is None:
            raise SalesError("this lead is in the pool: say which rep accepts it (--rep)")
        deliveries += claim(session, sales, handoff, rep_id)
    _check_owner(handoff, rep_id)
    if handoff.status != "assigned":
        raise SalesError(f"this lead is already {handoff.status}")
    handoff.status, handoff.accepted_at, handoff.due_at = "accepted", sales.now, None
    handoff.updated_at = sales.now
    records.note(
        session,
        handoff.lead_id,
        "sales_accepted",
        sales.now,
        handoff=handoff.public_id,
        rep=handoff.rep_id,
    )
    deliveries += plan_deliveries(session, handoff, sales.handoff, "lead.accepted")
    return deliveries + _rescore(session, sales, handoff.lead_id)


def reject(
    session: Session, sales: Sales, handoff: Handoff, reason: str, rep_id: str | None
) -> list[int]:
    reason = " ".join(reason.split())
    if not reason:
        raise SalesError("say why the lead is rejected (--reason): it goes back to nurture with it")
    _check_owner(handoff, rep_id)
    rep = handoff.rep_id or rep_id
    handoff.status, handoff.reject_reason = "rejected", reason[:1000]
    handoff.rejected_at, handoff.updated_at, handoff.due_at = sales.now, sales.now, None
    records.set_owner(session, handoff.lead_id, None)
    records.note(
        session,
        handoff.lead_id,
        REJECTED,
        sales.now,
        handoff=handoff.public_id,
        rep=rep,
        reason=reason,
    )
    _return_to_nurture(session, sales, handoff.lead_id)
    deliveries = plan_deliveries(session, handoff, sales.handoff, "lead.rejected")
    return deliveries + _rescore(session, sales, handoff.lead_id)


def _check_owner(handoff: Handoff, rep_id: str | None) -> None:
    if rep_id is not None and handoff.rep_id is not None and rep_id != handoff.rep_id:
        raise SalesError(f"this lead belongs to {handoff.rep_id}, not {rep_id}")


def _return_to_nurture(session: Session, sales: Sales, lead_id: int) -> None:
    back = sales.handoff.returned.stage
    stage = session.scalar(select(Lead.lifecycle_stage).where(Lead.id == lead_id)) or "lead"
    if STAGE_RANK.get(stage, -1) > STAGE_RANK[back]:
        session.execute(update(Lead).where(Lead.id == lead_id).values(lifecycle_stage=back))
        records.note(
            session,
            lead_id,
            STAGE_EVENTS[back],
            sales.now,
            **{"from": stage, "why": "rejected by sales"},
        )


def _rescore(session: Session, sales: Sales, lead_id: int) -> list[int]:
    outcome = update_scores(
        session, [lead_id], sales.rules, sales.now, count_machines=sales.count_machines
    )
    return outcome.deliveries
