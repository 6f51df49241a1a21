"""Step conditions (`if:`) and exit rules (`exit:`) evaluated against one situation.

Opens and clicks by proxies and scanners (Apple Mail Privacy Protection, link scanners)
are not engagement: they count only when the campaign asks for it (`count_machines`).
Only events at or after enrolment count, so a previous run of the same campaign does not
satisfy this run's conditions.
"""

from __future__ import annotations

from collections.abc import Iterator

from nurture.campaigns.schema import Condition
from nurture.campaigns.schema import Exit as ExitRule
from nurture.scheduling.views import EventView, Situation

_HUMAN = (None, "human")

# (Condition key, event type, whether the event must have happened for the key to hold)
_ENGAGEMENT = (
    ("opened", "email_opened", True),
    ("clicked", "email_clicked", True),
    ("not_opened", "email_opened", False),
    ("not_clicked", "email_clicked", False),
)


def condition_holds(cond: Condition, situation: Situation, campaign_id: str) -> bool:
    """Whether every key of the step's `if:` holds."""
    return failed_condition(cond, situation, campaign_id) is None


def failed_condition(cond: Condition, situation: Situation, campaign_id: str) -> str | None:
    """Why the `if:` does not hold ("not opened hello"), or None when it holds."""
    return next(_failures(cond, situation, campaign_id), None)


def exit_reason(exit: ExitRule, situation: Situation) -> str | None:
    """The first exit rule that holds: "event:<type>", "score", "temperature"; else None."""
    wanted = set(exit.events)
    event = next((e for e in _counted(situation) if e.type in wanted), None)
    if event is not None:
        return f"event:{event.type}"
    if exit.score_at_least is not None and situation.lead.score >= exit.score_at_least:
        return "score"
    if exit.temperature is not None and situation.lead.temperature == exit.temperature:
        return "temperature"
    return None


def _failures(cond: Condition, situation: Situation, campaign_id: str) -> Iterator[str]:
    """Each failed key as the fact that made it fail, in the order the schema lists them."""
    lead = situation.lead
    for key, event_type, wanted in _ENGAGEMENT:
        step_id = getattr(cond, key)
        if step_id is None:
            continue
        happened = _engaged(situation, campaign_id, step_id, event_type)
        if happened != wanted:
            verb = event_type.removeprefix("email_")
            yield f"{verb} {step_id}" if happened else f"not {verb} {step_id}"
    if cond.score_at_least is not None and lead.score < cond.score_at_least:
        yield f"score {lead.score} below {cond.score_at_least}"
    if cond.has_tag is not None and cond.has_tag not in lead.tags:
        yield f"no tag {cond.has_tag}"
    if cond.temperature is not None and lead.temperature != cond.temperature:
        yield f"temperature {lead.temperature}, not {cond.temperature}"


# A click proves the mail was opened even when images (and so the pixel) were blocked.
_IMPLIED_BY = {
    "email_opened": {"email_opened", "email_clicked"},
    "email_clicked": {"email_clicked"},
}


def _engaged(situation: Situation, campaign_id: str, step_id: str, event_type: str) -> bool:
    types = _IMPLIED_BY[event_type]
    return any(
        e.type in types and e.campaign_id == campaign_id and e.step_id == step_id
        for e in _counted(situation)
    )


def _counted(situation: Situation) -> Iterator[EventView]:
    """Events since enrolment, without machine opens/clicks unless they are wanted."""
    since = situation.enrolment.enrolled_at
    for event in situation.history:
        human = event.classification in _HUMAN
        if event.occurred_at >= since and (human or situation.count_machines):
            yield event
