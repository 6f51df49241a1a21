"""Plain, immutable inputs and outputs of the scheduling decision (no ORM, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class LeadView:
    timezone: str | None = None
    score: int = 0
    temperature: str = "cold"
    tags: frozenset[str] = frozenset()
    paused_until: datetime | None = None
    restricted: bool = False
    # Imported under legitimate interest, and the GDPR art. 14 notice is not sent yet.
    awaiting_notice: bool = False


@dataclass(frozen=True)
class EventView:
    type: str
    occurred_at: datetime
    campaign_id: str | None = None
    step_id: str | None = None
    # human / proxy / scanner; None for events that are not opens or clicks.
    classification: str | None = None


@dataclass(frozen=True)
class EnrolmentView:
    enrolled_at: datetime
    last_step_at: datetime | None = None
    steps_done: tuple[str, ...] = ()

    @property
    def anchor(self) -> datetime:
        """A step's `after` counts from the previous step, or from enrolment."""
        return self.last_step_at or self.enrolled_at


@dataclass(frozen=True)
class Situation:
    """Everything the decision needs about one enrolment at one instant."""

    enrolment: EnrolmentView
    lead: LeadView
    # The lead's events since enrolment (any campaign): conditions and exits read them.
    history: tuple[EventView, ...] = ()
    consented: bool = True
    suppressed: bool = False
    # Count opens/clicks by proxies and scanners as engagement (default: humans only).
    count_machines: bool = False


@dataclass(frozen=True)
class Send:
    step_id: str


@dataclass(frozen=True)
class Skip:
    step_id: str
    reason: str


@dataclass(frozen=True)
class Wait:
    until: datetime
    reason: str = "not due"


@dataclass(frozen=True)
class Exit:
    reason: str


@dataclass(frozen=True)
class Complete:
    reason: str = field(default="no steps left")


Decision = Send | Skip | Wait | Exit | Complete
