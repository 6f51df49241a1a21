"""The score of one lead: a pure function of its facts, its events, the rules and `now`.

    score(lead, events, rules, now) -> ScoreResult

- fit: the sum of the fit rules the profile matches (no decay: a profile does not age);
- engagement: behaviour points per matching event, after once-only, per-day caps and
  decay (``points × 0.5 ** (age / half_life)``), summed and rounded half up;
- total: fit + engagement clamped to 0-100, and 0 for a disqualified lead;
- temperature, stage and hand-off readiness: `nurture.scoring.stages`;
- a ledger line for every rule that fired, including the events a cap, once-only or the
  machine filter stopped, so the ledger explains why something did *not* count too.

Opens and clicks classified `proxy` or `scanner` count only with ``count_machines``.
A lead who objected to profiling gets no score and no ledger at all.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime

from nurture.scoring.matchers import FieldMatcher
from nurture.scoring.rules import BehaviourRule, ScoringRules
from nurture.scoring.stages import (
    REJECTED,
    Standing,
    handoff_reason,
    stage_of,
    temperature_of,
)
from nurture.scoring.views import HUMAN, EventFact, LeadFacts, LedgerLine, ScoreResult


def score(
    lead: LeadFacts,
    events: Iterable[EventFact],
    rules: ScoringRules,
    now: datetime,
    *,
    count_machines: bool = False,
) -> ScoreResult:
    if lead.profiling_objected:
        return unprofiled(lead)
    past = sorted((e for e in events if e.occurred_at <= now), key=lambda e: (e.occurred_at, e.id))
    counted = [e for e in past if count_machines or e.classification in HUMAN]
    fit_lines = _fit(lead, rules)
    behaviour_lines = _Behaviour(rules, now, count_machines).lines(past)
    fit = sum(int(line.points) for line in fit_lines)
    engagement = _round(sum(line.weighted for line in behaviour_lines))
    total = max(0, min(100, fit + engagement))
    standing = Standing(fit, engagement, total, {e.type for e in counted}, _last_rejection(counted))
    disqualifier = _disqualifier(lead, counted, rules)
    stage = stage_of(lead.stage, standing, rules, now, disqualifier is not None)
    if stage != "disqualified":
        disqualifier = None  # a customer bought: the disqualifier was wrong about them
    ledger = [*fit_lines, *([disqualifier] if disqualifier else []), *behaviour_lines]
    if total != fit + engagement:
        note = f"fit {fit} + engagement {engagement} = {fit + engagement}, kept within 0-100"
        ledger.append(LedgerLine("clamp", "total", fit + engagement, total, note))
    temperature = temperature_of(total, lead.temperature, rules.temperature)
    if disqualifier is not None:
        total, temperature = 0, "cold"
    return ScoreResult(
        fit=fit,
        engagement=engagement,
        total=total,
        temperature=temperature,
        stage=stage,
        handoff=handoff_reason(stage, temperature, standing, rules, now),
        disqualified_by=disqualifier.rule if disqualifier else None,
        ledger=tuple(ledger),
    )


def unprofiled(lead: LeadFacts) -> ScoreResult:
    """The score of a lead who objected to profiling: nothing, whatever the rules say."""
    return ScoreResult(0, 0, 0, "cold", lead.stage)


def _round(value: float) -> int:
    """Half up (2.5 → 3, -2.5 → -2): what a person checking the sum by hand expects."""
    return math.floor(value + 0.5)


def _fit(lead: LeadFacts, rules: ScoringRules) -> list[LedgerLine]:
    lines = []
    for rule in rules.fit:
        holds, value = rule.matcher.holds(lead.fields)
        if holds:
            lines.append(
                LedgerLine("fit", rule.id, rule.points, rule.points, f"{rule.field}: {value}")
            )
    return lines


def _disqualifier(
    lead: LeadFacts, counted: list[EventFact], rules: ScoringRules
) -> LedgerLine | None:
    """The first disqualifier that holds (file order), as a ledger line."""
    for rule in rules.disqualify:
        matcher = rule.matcher
        if isinstance(matcher, FieldMatcher):
            holds, value = matcher.holds(lead.fields)
            if holds:
                return LedgerLine(
                    "disqualifier", rule.id, 0, 0, f"{rule.reason} ({rule.field}: {value})"
                )
            continue
        event = next((e for e in reversed(counted) if matcher.holds(e.type, e.data)), None)
        if event is not None:
            return LedgerLine(
                "disqualifier", rule.id, 0, 0, rule.reason, event.id, event.type, event.occurred_at
            )
    return None


def _last_rejection(counted: list[EventFact]) -> datetime | None:
    return next((e.occurred_at for e in reversed(counted) if e.type == REJECTED), None)


class _Behaviour:
    """Walks the events in time order, applying once-only, caps and decay per rule."""

    def __init__(self, rules: ScoringRules, now: datetime, count_machines: bool) -> None:
        self.now = now
        self.count_machines = count_machines
        half_life = rules.decay.half_life
        self.half_life = half_life.total_seconds() if half_life is not None else None
        self.by_type: dict[str, list[BehaviourRule]] = defaultdict(list)
        for rule in rules.behaviour:
            self.by_type[rule.event].append(rule)
        self.first: dict[str, datetime] = {}
        self.per_day: dict[tuple[str, date], int] = defaultdict(int)

    def lines(self, events: list[EventFact]) -> list[LedgerLine]:
        lines = []
        for event in events:
            for rule in self.by_type.get(event.type, ()):
                if rule.matcher.holds(event.type, event.data):
                    lines.append(self._line(rule, event))
        return lines

    def _line(self, rule: BehaviourRule, event: EventFact) -> LedgerLine:
        stopped = self._stopped(rule, event)
        if stopped is not None:
            return LedgerLine(
                "behaviour", rule.id, 0, 0, stopped, event.id, event.type, event.occurred_at
            )
        weighted = rule.points * self._weight(rule, event.occurred_at)
        return LedgerLine(
            "behaviour", rule.id, rule.points, weighted, "", event.id, event.type, event.occurred_at
        )

    def _stopped(self, rule: BehaviourRule, event: EventFact) -> str | None:
        """Why this event gives no points, or None; counts it when it does."""
        if not self.count_machines and event.classification not in HUMAN:
            return f"{event.classification}: not a person, not counted"
        if rule.once and rule.id in self.first:
            return f"once only: already counted on {self.first[rule.id]:%Y-%m-%d}"
        if rule.max_per_day is not None:
            day = (rule.id, event.occurred_at.astimezone(UTC).date())
            if self.per_day[day] >= rule.max_per_day:
                return f"cap of {rule.max_per_day} a day (UTC) reached"
            self.per_day[day] += 1
        self.first.setdefault(rule.id, event.occurred_at)
        return None

    def _weight(self, rule: BehaviourRule, at: datetime) -> float:
        if not rule.decays or self.half_life is None:
            return 1.0
        age = (self.now - at).total_seconds()
        return float(0.5 ** (age / self.half_life))
