"""The due enrolments of a pass, as plain rows the planner changes and writes back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nurture.db import is_postgres
from nurture.models import Enrolment
from nurture.scheduling.views import EnrolmentView


@dataclass
class Due:
    id: int
    lead_id: int
    campaign_id: str
    enrolled_at: datetime
    last_step_at: datetime | None
    steps_done: list[str] = field(default_factory=list)
    status: str = "active"
    next_run_at: datetime | None = None
    exit_reason: str | None = None

    def view(self) -> EnrolmentView:
        return EnrolmentView(self.enrolled_at, self.last_step_at, tuple(self.steps_done))

    def done(self, step_id: str, now: datetime) -> None:
        self.steps_done = [*self.steps_done, step_id]
        self.last_step_at = now

    def changes(self, version: str, now: datetime) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "steps_done": self.steps_done,
            "last_step_at": self.last_step_at,
            "next_run_at": self.next_run_at,
            "exit_reason": self.exit_reason,
            "campaign_version": version,
            "updated_at": now,
        }


_COLUMNS = (
    Enrolment.id,
    Enrolment.lead_id,
    Enrolment.campaign_id,
    Enrolment.enrolled_at,
    Enrolment.last_step_at,
    Enrolment.steps_done,
)


def due_enrolments(
    session: Session, campaign_ids: list[str], now: datetime, limit: int
) -> list[Due]:
    """Active enrolments whose next run is due, oldest first, served by ix_enrolments_due."""
    query = (
        select(*_COLUMNS)
        .where(Enrolment.status == "active", Enrolment.next_run_at <= now)
        .where(Enrolment.campaign_id.in_(campaign_ids))
        .order_by(Enrolment.next_run_at)
        .limit(limit)
    )
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    return [
        Due(id, lead_id, campaign_id, enrolled_at, last_step_at, list(steps_done or ()))
        for id, lead_id, campaign_id, enrolled_at, last_step_at, steps_done in session.execute(
            query
        )
    ]
