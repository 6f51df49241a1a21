"""Speed-to-lead: hand-offs nobody touched in time.

An assigned lead neither accepted nor rejected by `due_at` is recalled: its rep loses
it, it goes back to the pool (with a fresh deadline) and `handoff_recalled` is recorded.
A pooled lead past its deadline is reported once as overdue. Both are returned for the
scheduler's report, so they reach whoever reads it, and the CRM hears about recalls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from nurture.handoff import records
from nurture.handoff.deliveries import plan_deliveries
from nurture.models import Handoff
from nurture.scoring.rules import HandoffRules

BATCH = 1_000


@dataclass
class SlaReport:
    recalled: list[str] = field(default_factory=list)  # "<hand-off id> from <rep>"
    overdue: list[str] = field(default_factory=list)  # pooled hand-off ids
    deliveries: list[int] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [f"recalled to the pool (SLA): {text}" for text in self.recalled] + [
            f"waiting in the pool past the SLA: {text}" for text in self.overdue
        ]


def check_sla(session: Session, config: HandoffRules, now: datetime) -> SlaReport:
    report = SlaReport()
    late = session.scalars(
        select(Handoff)
        .where(Handoff.status.in_(("assigned", "pooled")), Handoff.due_at < now)
        .where(Handoff.overdue_reported_at.is_(None) | (Handoff.status == "assigned"))
        .order_by(Handoff.due_at)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    )
    for handoff in late:
        if handoff.status == "assigned":
            report.recalled.append(f"{handoff.public_id} from {handoff.rep_id}")
            report.deliveries += recall(session, handoff, config, now)
        else:
            handoff.overdue_reported_at = handoff.updated_at = now
            report.overdue.append(handoff.public_id)
    return report


def recall(session: Session, handoff: Handoff, config: HandoffRules, now: datetime) -> list[int]:
    rep, late_by = handoff.rep_id, now - (handoff.due_at or now)
    handoff.status, handoff.rep_id, handoff.recalls = "pooled", None, handoff.recalls + 1
    handoff.due_at, handoff.overdue_reported_at, handoff.updated_at = now + config.sla, None, now
    records.set_owner(session, handoff.lead_id, None)
    records.note(
        session,
        handoff.lead_id,
        "handoff_recalled",
        now,
        handoff=handoff.public_id,
        rep=rep,
        late_by_minutes=int(late_by.total_seconds() // 60),
    )
    return plan_deliveries(session, handoff, config, "lead.recalled")
