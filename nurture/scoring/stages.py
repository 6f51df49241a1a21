"""Temperature (with hysteresis), lifecycle stage and hand-off readiness (pure).

Stages only move forward on their own (lead → mql → sql): a score that decays does not
demote an MQL, because a stage is a fact about the past ("marketing qualified it"), not a
reading of today's score. Two things move a lead back: a disqualifier (while it holds),
and a rejection by sales, which returns the lead to nurture at `handoff.returned.stage` and
keeps it there for `handoff.returned.hold`, so a lead whose score is still high is not
handed straight back to the rep who just rejected it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from nurture.scoring.rules import ScoringRules, StageRule, Temperatures

TEMPERATURE_RANK = {"cold": 0, "warm": 1, "hot": 2}
STAGE_RANK = {"lead": 0, "mql": 1, "sql": 2}
REJECTED = "sales_rejected"  # recorded by the hand-off service when sales rejects a lead


def temperature_of(total: int, previous: str, rules: Temperatures) -> str:
    """The highest level reached; a level the lead already has is kept down to
    ``threshold - hysteresis`` (going up needs the full threshold)."""
    held = TEMPERATURE_RANK.get(previous, 0)
    for name, threshold in (("hot", rules.hot), ("warm", rules.warm)):
        needed = threshold - rules.hysteresis if TEMPERATURE_RANK[name] <= held else threshold
        if total >= needed:
            return name
    return "cold"


@dataclass(frozen=True)
class Standing:
    """What the stage rules read: the score parts and which event types happened."""

    fit: int
    engagement: int
    total: int
    happened: Collection[str]
    last_rejection: datetime | None = None


def reaches(rule: StageRule, standing: Standing) -> bool:
    if any(event in standing.happened for event in rule.events):
        return True
    if not rule.has_thresholds():
        return False
    checks = (
        (rule.score_at_least, standing.total),
        (rule.fit_at_least, standing.fit),
        (rule.engagement_at_least, standing.engagement),
    )
    return all(value >= limit for limit, value in checks if limit is not None)


def in_hold(standing: Standing, rules: ScoringRules, now: datetime) -> bool:
    """Whether a recent rejection by sales still holds the lead back in nurture."""
    if rules.handoff is None or standing.last_rejection is None:
        return False
    return now < standing.last_rejection + rules.handoff.returned.hold


def stage_of(
    previous: str,
    standing: Standing,
    rules: ScoringRules,
    now: datetime,
    disqualified: bool,
) -> str:
    if previous == "customer" or reaches(rules.stages.customer, standing):
        return "customer"  # someone who bought could buy, whatever a disqualifier says
    if disqualified:
        return "disqualified"
    reached = "lead"
    for name, rule in (("sql", rules.stages.sql), ("mql", rules.stages.mql)):
        if reaches(rule, standing):
            reached = name
            break
    floor = previous if previous in STAGE_RANK else "lead"
    stage = max(reached, floor, key=STAGE_RANK.__getitem__)
    if rules.handoff is not None and in_hold(standing, rules, now):
        cap = rules.handoff.returned.stage
        stage = min(stage, cap, key=STAGE_RANK.__getitem__)
    return stage


def handoff_reason(
    stage: str, temperature: str, standing: Standing, rules: ScoringRules, now: datetime
) -> str | None:
    """Why the lead is ready for sales ("stage sql, temperature hot"), or None."""
    when = rules.handoff.when if rules.handoff is not None else None
    if when is None or stage not in STAGE_RANK or in_hold(standing, rules, now):
        return None
    reasons = []
    if when.stage is not None:
        if STAGE_RANK[stage] < STAGE_RANK[when.stage]:
            return None
        reasons.append(f"stage {stage}")
    if when.temperature is not None:
        if TEMPERATURE_RANK[temperature] < TEMPERATURE_RANK[when.temperature]:
            return None
        reasons.append(f"temperature {temperature}")
    return ", ".join(reasons)
