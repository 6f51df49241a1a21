"""Stage and temperature changes as behaviour events (pure).

They are ordinary events so that campaigns can start on them (`entry: {on: became_hot}`)
and the timeline shows when a lead changed. They are derived by nurture, not done by the
person: retention's "activity" and reports of the person's own behaviour must not count
them (`DERIVED_EVENT_TYPES`).
"""

from __future__ import annotations

from typing import Any

from nurture.scoring.views import LeadFacts, ScoreResult

STAGE_EVENTS = {
    "lead": "became_lead",
    "mql": "became_mql",
    "sql": "became_sql",
    "customer": "became_customer",
    "disqualified": "disqualified",
}
TEMPERATURE_EVENTS = {"cold": "became_cold", "warm": "became_warm", "hot": "became_hot"}
HANDOFF_EVENTS = (
    "handoff_pooled",
    "handoff_assigned",
    "handoff_claimed",
    "handoff_recalled",
    "handoff_closed",
    "handoff_withdrawn",
    "sales_accepted",
    "sales_rejected",
)
DERIVED_EVENT_TYPES = frozenset(
    {*STAGE_EVENTS.values(), *TEMPERATURE_EVENTS.values(), *HANDOFF_EVENTS}
)


def transitions(before: LeadFacts, after: ScoreResult) -> list[tuple[str, dict[str, Any]]]:
    """(event type, data) for each change; none for a lead who objected to profiling."""
    if before.profiling_objected:
        return []
    changes: list[tuple[str, dict[str, Any]]] = []
    if after.stage != before.stage:
        data: dict[str, Any] = {"from": before.stage, "score": after.total}
        if after.disqualified_by is not None:
            data["rule"] = after.disqualified_by
        changes.append((STAGE_EVENTS[after.stage], data))
    if after.temperature != before.temperature:
        data = {"from": before.temperature, "score": after.total}
        changes.append((TEMPERATURE_EVENTS[after.temperature], data))
    return changes
