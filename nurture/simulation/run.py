"""The virtual clock: every lead's enrolment advanced by the engine's own decision.

Event-driven: a heap holds each enrolment's next due instant; the clock jumps to the
earliest, `scheduling.decide` is asked what to do, and the answer is applied exactly as
`engine.planning` applies it — skips chain at the same instant, a step done moves the
anchor to "now", a send makes the enrolment due again at once (the engine re-evaluates it
on its next pass), a wait makes it due at the instant decided. The idealisation: the real
scheduler passes every 30 seconds and sending takes a moment, so real mail leaves up to a
minute later than simulated.

Reactions to a mail (`engagement`) become events in the lead's history at their own
instant; a decision only sees the events that happened by then. An unsubscribe withdraws
the campaign's consent from its instant on, as the ledger would.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from nurture.campaigns.schema import Campaign
from nurture.scheduling.decide import decide
from nurture.scheduling.views import (
    Complete,
    EnrolmentView,
    EventView,
    Exit,
    Send,
    Situation,
    Skip,
    Wait,
)
from nurture.simulation.engagement import Engagement
from nurture.simulation.population import SimLead

# More decisions than this for one enrolment means a decision loop: stop, visibly.
_MAX_DECISIONS = 10_000


@dataclass(frozen=True)
class Sent:
    step_id: str
    at: datetime
    lead: str


@dataclass(frozen=True)
class Skipped:
    step_id: str
    at: datetime
    reason: str


@dataclass
class Trace:
    """Everything that happened during the run, in order."""

    sent: list[Sent] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    exited: dict[str, int] = field(default_factory=dict)
    completed: int = 0
    waiting: dict[str, int] = field(default_factory=dict)  # still active at the end, why


@dataclass
class _Enrolment:
    lead: SimLead
    enrolled_at: datetime
    steps_done: list[str]
    last_step_at: datetime | None
    history: list[EventView]
    withdrawn_at: datetime | None = None
    waiting_for: str = "not due"
    decisions: int = 0

    def situation(self, now: datetime) -> Situation:
        seen = tuple(e for e in self.history if self.enrolled_at <= e.occurred_at <= now)
        consented = self.lead.consented and not (
            self.withdrawn_at is not None and self.withdrawn_at <= now
        )
        return Situation(
            enrolment=EnrolmentView(self.enrolled_at, self.last_step_at, tuple(self.steps_done)),
            lead=replace(self.lead.view, awaiting_notice=False),  # notices leave at once
            history=seen,
            consented=consented,
            suppressed=self.lead.suppressed,
        )


def simulate(
    campaign: Campaign,
    leads: list[SimLead],
    start: datetime,
    end: datetime,
    engagement: Engagement,
    on_progress: Callable[[datetime], None] = lambda _: None,
) -> Trace:
    trace = Trace()
    heap: list[tuple[datetime, int]] = []
    enrolments = []
    for index, lead in enumerate(leads):
        enrolments.append(
            _Enrolment(
                lead,
                lead.enrolled_at or start,
                list(lead.steps_done),
                lead.last_step_at,
                list(lead.history),
            )
        )
        heap.append((max(start, lead.next_at or start), index))
    heapq.heapify(heap)
    while heap and heap[0][0] <= end:
        now, index = heapq.heappop(heap)
        on_progress(now)
        due = _advance(campaign, enrolments[index], now, engagement, trace)
        if due is not None:
            heapq.heappush(heap, (due, index))
    for _, index in heap:
        reason = enrolments[index].waiting_for
        trace.waiting[reason] = trace.waiting.get(reason, 0) + 1
    return trace


def _advance(
    campaign: Campaign, state: _Enrolment, now: datetime, engagement: Engagement, trace: Trace
) -> datetime | None:
    """Decide (skips chain) and apply; the next due instant, or None once it has ended."""
    while True:
        state.decisions += 1
        if state.decisions > _MAX_DECISIONS:
            raise RuntimeError(f"the decision for {state.lead.key} does not settle at {now}")
        decision = decide(campaign, state.situation(now), now)
        if isinstance(decision, Skip):
            trace.skipped.append(Skipped(decision.step_id, now, decision.reason))
            state.steps_done.append(decision.step_id)
            state.last_step_at = now
            continue
        break
    if isinstance(decision, Send):
        trace.sent.append(Sent(decision.step_id, now, state.lead.key))
        state.steps_done.append(decision.step_id)
        state.last_step_at = now
        _react(campaign, state, decision.step_id, now, engagement)
        return now
    if isinstance(decision, Wait):
        state.waiting_for = decision.reason
        return max(decision.until, now)
    if isinstance(decision, Exit):
        trace.exited[decision.reason] = trace.exited.get(decision.reason, 0) + 1
    elif isinstance(decision, Complete):
        trace.completed += 1
    return None


def _react(
    campaign: Campaign, state: _Enrolment, step_id: str, now: datetime, engagement: Engagement
) -> None:
    for event in engagement.reactions(state.lead.key, campaign.id, step_id, now):
        if event.type == "unsubscribed":
            first = state.withdrawn_at
            state.withdrawn_at = (
                event.occurred_at if first is None else min(first, event.occurred_at)
            )
        state.history.append(event)
