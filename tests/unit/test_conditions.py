from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from nurture.campaigns.schema import Condition
from nurture.campaigns.schema import Exit as ExitRule
from nurture.scheduling.conditions import condition_holds, exit_reason, failed_condition
from nurture.scheduling.views import EnrolmentView, EventView, LeadView, Situation

ENROLLED = datetime(2026, 5, 4, 9, tzinfo=UTC)
LATER = ENROLLED + timedelta(hours=2)


def event(
    kind: str,
    step: str | None = "hello",
    classification: str | None = None,
    campaign: str | None = "welcome",
    at: datetime = LATER,
) -> EventView:
    return EventView(kind, at, campaign, step, classification)


def situation(
    *events: EventView, lead: LeadView | None = None, count_machines: bool = False
) -> Situation:
    return Situation(
        enrolment=EnrolmentView(enrolled_at=ENROLLED, steps_done=("hello",)),
        lead=lead or LeadView(),
        history=events,
        count_machines=count_machines,
    )


def cond(**keys: object) -> Condition:
    return Condition.model_validate(keys)


@pytest.mark.parametrize(
    ("condition", "sit", "failure"),
    [
        pytest.param(
            cond(opened="hello"), situation(event("email_opened")), None, id="opened: human open"
        ),
        pytest.param(
            cond(opened="hello"), situation(), "not opened hello", id="opened: nothing happened"
        ),
        pytest.param(
            cond(opened="hello"),
            situation(event("email_opened", "other")),
            "not opened hello",
            id="opened: another step",
        ),
        pytest.param(
            cond(opened="hello"),
            situation(event("email_opened", campaign="newsletter")),
            "not opened hello",
            id="opened: same step id, another campaign",
        ),
        pytest.param(
            cond(opened="hello"),
            situation(event("email_opened", at=ENROLLED - timedelta(days=30))),
            "not opened hello",
            id="opened: before this enrolment",
        ),
        pytest.param(
            cond(opened="hello"),
            situation(event("email_opened", classification="human")),
            None,
            id="opened: classified human",
        ),
        pytest.param(
            cond(opened="hello"),
            situation(event("email_opened", classification="proxy")),
            "not opened hello",
            id="opened: proxy open does not count",
        ),
        pytest.param(
            cond(opened="hello"),
            situation(event("email_clicked")),
            None,
            id="opened: a human click implies the open (pixel blocked)",
        ),
        pytest.param(
            cond(not_opened="hello"),
            situation(event("email_clicked")),
            "opened hello",
            id="not_opened: fails after a click",
        ),
        pytest.param(
            cond(opened="hello"),
            situation(event("email_clicked", classification="scanner")),
            "not opened hello",
            id="opened: a scanner click implies nothing",
        ),
        pytest.param(
            cond(clicked="hello"),
            situation(event("email_clicked", classification="scanner")),
            "not clicked hello",
            id="clicked: scanner click does not count",
        ),
        pytest.param(
            cond(opened="hello"),
            situation(event("email_opened", classification="proxy"), count_machines=True),
            None,
            id="opened: proxy counts when asked",
        ),
        pytest.param(
            cond(clicked="hello"),
            situation(event("email_opened")),
            "not clicked hello",
            id="clicked: an open is not a click",
        ),
        pytest.param(
            cond(clicked="hello"),
            situation(event("email_clicked")),
            None,
            id="clicked: human click",
        ),
        pytest.param(cond(not_opened="hello"), situation(), None, id="not_opened: holds"),
        pytest.param(
            cond(not_opened="hello"),
            situation(event("email_opened")),
            "opened hello",
            id="not_opened: fails after an open",
        ),
        pytest.param(
            cond(not_opened="hello"),
            situation(event("email_opened", classification="proxy")),
            None,
            id="not_opened: a proxy open is still not opened",
        ),
        pytest.param(
            cond(not_clicked="hello"),
            situation(event("email_clicked")),
            "clicked hello",
            id="not_clicked: fails after a click",
        ),
        pytest.param(
            cond(score_at_least=10),
            situation(lead=LeadView(score=10)),
            None,
            id="score: at the threshold",
        ),
        pytest.param(
            cond(score_at_least=10),
            situation(lead=LeadView(score=9)),
            "score 9 below 10",
            id="score: below",
        ),
        pytest.param(
            cond(has_tag="vip"),
            situation(lead=LeadView(tags=frozenset({"vip"}))),
            None,
            id="has_tag: present",
        ),
        pytest.param(cond(has_tag="vip"), situation(), "no tag vip", id="has_tag: absent"),
        pytest.param(
            cond(temperature="hot"),
            situation(lead=LeadView(temperature="hot")),
            None,
            id="temperature: equal",
        ),
        pytest.param(
            cond(temperature="hot"),
            situation(lead=LeadView(temperature="warm")),
            "temperature warm, not hot",
            id="temperature: different",
        ),
        pytest.param(
            cond(opened="hello", has_tag="vip"),
            situation(event("email_opened")),
            "no tag vip",
            id="every key must hold",
        ),
    ],
)
def test_conditions(condition: Condition, sit: Situation, failure: str | None) -> None:
    """An `if:` holds when every key holds; the failure names the fact that broke it."""
    assert failed_condition(condition, sit, "welcome") == failure
    assert condition_holds(condition, sit, "welcome") is (failure is None)


@pytest.mark.parametrize(
    ("rule", "sit", "reason"),
    [
        pytest.param(ExitRule(), situation(event("converted", None)), None, id="no rules"),
        pytest.param(
            ExitRule.model_validate({"events": ["converted", "replied"]}),
            situation(event("email_replied", None)),
            "event:email_replied",
            id="aliased reply event",
        ),
        pytest.param(
            ExitRule.model_validate({"events": ["converted"]}),
            situation(event("email_opened"), event("converted", None)),
            "event:converted",
            id="conversion after an open",
        ),
        pytest.param(
            ExitRule.model_validate({"events": ["converted"]}),
            situation(event("converted", None, at=ENROLLED - timedelta(days=1))),
            None,
            id="conversion before enrolment does not count",
        ),
        pytest.param(
            ExitRule.model_validate({"events": ["converted"]}),
            situation(event("converted", None, at=ENROLLED)),
            "event:converted",
            id="conversion at the enrolment instant counts",
        ),
        pytest.param(
            ExitRule.model_validate({"events": ["clicked"]}),
            situation(event("email_clicked", classification="scanner")),
            None,
            id="scanner click does not exit",
        ),
        pytest.param(
            ExitRule(score_at_least=80),
            situation(lead=LeadView(score=80)),
            "score",
            id="score reached",
        ),
        pytest.param(
            ExitRule(score_at_least=80),
            situation(lead=LeadView(score=79)),
            None,
            id="score not reached",
        ),
        pytest.param(
            ExitRule(temperature="hot"),
            situation(lead=LeadView(temperature="hot")),
            "temperature",
            id="temperature reached",
        ),
        pytest.param(
            ExitRule(temperature="hot"),
            situation(lead=LeadView(temperature="warm")),
            None,
            id="temperature not reached",
        ),
        pytest.param(
            ExitRule.model_validate({"events": ["converted"], "score_at_least": 5}),
            situation(event("converted", None), lead=LeadView(score=50)),
            "event:converted",
            id="events are reported before score",
        ),
    ],
)
def test_exit_reason(rule: ExitRule, sit: Situation, reason: str | None) -> None:
    """The lead leaves as soon as one exit rule holds, and the reason says which."""
    assert exit_reason(rule, sit) == reason
