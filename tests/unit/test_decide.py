from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nurture.campaigns.schema import Campaign
from nurture.scheduling.decide import decide
from nurture.scheduling.views import (
    Complete,
    Decision,
    EnrolmentView,
    EventView,
    Exit,
    LeadView,
    Send,
    Situation,
    Skip,
    Wait,
)

WEEKDAYS_9_18 = {
    "days": ["mon", "tue", "wed", "thu", "fri"],
    "hours": "09:00-18:00",
    "timezone": "Europe/Madrid",
}
SUNDAY_NIGHT = {"days": ["sun"], "hours": "02:30-04:00", "timezone": "Europe/Madrid"}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def campaign(*steps: dict[str, Any], window: dict[str, Any] | None = WEEKDAYS_9_18) -> Campaign:
    """A welcome campaign exiting on conversion or a score of 80."""
    return Campaign.model_validate(
        {
            "id": "welcome",
            "name": "Welcome",
            "purpose": "newsletter",
            "sender": "Acme <hello@acme.example>",
            "entry": {"on": "consent_confirmed"},
            "exit": {"events": ["converted", "replied"], "score_at_least": 80},
            "steps": [{"subject": "Hi", "template": "t.html", **step} for step in steps],
            **({"window": window} if window else {}),
        }
    )


SERIES = campaign(
    {"id": "hello", "after": "0m"},
    {"id": "case-study", "after": "2d", "if": {"opened": "hello"}},
    {"id": "nudge", "after": "1d", "if": {"not_clicked": "hello"}},
)

# Wednesday 2026-03-04, 10:00 in Madrid (CET).
NOW = utc("2026-03-04 09:00")


def situation(
    enrolled: datetime = NOW - timedelta(days=3),
    done: tuple[str, ...] = ("hello",),
    last: datetime | None = NOW - timedelta(days=3),
    history: tuple[EventView, ...] = (),
    lead: LeadView | None = None,
    **flags: bool,
) -> Situation:
    """By default: `hello` was sent three days ago, so `case-study` is due."""
    return Situation(
        enrolment=EnrolmentView(enrolled_at=enrolled, last_step_at=last, steps_done=done),
        lead=lead or LeadView(),
        history=history,
        **flags,
    )


def opened(classification: str | None = None) -> EventView:
    """An open of `hello`, two days ago."""
    return EventView("email_opened", NOW - timedelta(days=2), "welcome", "hello", classification)


CONVERTED = EventView("converted", NOW - timedelta(hours=1))
JUST_SENT = NOW - timedelta(hours=1)


@pytest.mark.parametrize(
    ("sit", "expected"),
    [
        pytest.param(
            situation(consented=False, last=JUST_SENT),
            Exit("consent_withdrawn"),
            id="withdrawn and not due: exits at once",
        ),
        pytest.param(
            situation(consented=False, suppressed=True),
            Exit("consent_withdrawn"),
            id="withdrawn and suppressed: withdrawal first",
        ),
        pytest.param(
            situation(suppressed=True, lead=LeadView(restricted=True)),
            Exit("suppressed"),
            id="suppressed and restricted: exits",
        ),
        pytest.param(
            situation(history=(CONVERTED,), last=JUST_SENT),
            Exit("event:converted"),
            id="converted while waiting: exits",
        ),
        pytest.param(
            situation(lead=LeadView(score=85, paused_until=NOW + timedelta(days=9))),
            Exit("score"),
            id="score exit beats a pause",
        ),
        pytest.param(
            situation(done=("hello", "case-study", "nudge"), history=(CONVERTED,)),
            Exit("event:converted"),
            id="exit beats completion",
        ),
        pytest.param(
            situation(lead=LeadView(restricted=True), last=JUST_SENT),
            Wait(NOW + timedelta(days=1), "restricted"),
            id="restricted: look again tomorrow",
        ),
        pytest.param(
            situation(lead=LeadView(paused_until=NOW + timedelta(hours=5))),
            Wait(NOW + timedelta(hours=5), "paused"),
            id="paused: wait for the end",
        ),
        pytest.param(
            situation(lead=LeadView(paused_until=NOW - timedelta(hours=5)), history=(opened(),)),
            Send("case-study"),
            id="pause over: carries on",
        ),
        pytest.param(
            situation(done=("hello", "case-study", "nudge")),
            Complete(),
            id="all steps handled: complete",
        ),
        pytest.param(
            situation(done=("hello", "gone", "nudge")),
            Complete(),
            id="removed steps are not re-sent",
        ),
        pytest.param(
            situation(last=JUST_SENT),
            Wait(NOW + timedelta(days=2) - timedelta(hours=1)),
            id="not due: wait for anchor + after",
        ),
        pytest.param(
            situation(), Skip("case-study", "not opened hello"), id="if not met: skip naming it"
        ),
        pytest.param(
            situation(history=(opened(classification="proxy"),)),
            Skip("case-study", "not opened hello"),
            id="proxy open: still skipped",
        ),
        pytest.param(situation(history=(opened(),)), Send("case-study"), id="if met: send"),
        pytest.param(
            situation(history=(opened(classification="proxy"),), count_machines=True),
            Send("case-study"),
            id="proxy open counts when the campaign asks",
        ),
        pytest.param(
            situation(done=(), last=None, enrolled=NOW),
            Send("hello"),
            id="fresh enrolment inside window: first step",
        ),
    ],
)
def test_decision_order(sit: Situation, expected: Decision) -> None:
    """Stops come before holds, holds before due dates, skips before windows."""
    assert decide(SERIES, sit, NOW) == expected


@pytest.mark.parametrize(
    ("now", "sit", "expected"),
    [
        pytest.param(
            utc("2026-03-07 09:00"),
            situation(),
            Skip("case-study", "not opened hello"),
            id="saturday skip is not delayed to monday",
        ),
        pytest.param(
            utc("2026-03-07 09:00"),
            situation(history=(opened(),)),
            Wait(utc("2026-03-09 08:00"), "outside window"),
            id="saturday send waits for monday 09:00 CET",
        ),
        pytest.param(
            utc("2026-03-07 09:00"),
            situation(history=(opened(),), lead=LeadView(timezone="Nope/X")),
            Wait(utc("2026-03-09 08:00"), "outside window"),
            id="invalid lead zone: the window's zone",
        ),
        pytest.param(
            utc("2026-03-09 08:00"),
            situation(history=(opened(),), lead=LeadView(timezone="America/New_York")),
            Wait(utc("2026-03-09 13:00"), "outside window"),
            id="lead in New York: 09:00 EDT",
        ),
    ],
)
def test_send_window(now: datetime, sit: Situation, expected: Decision) -> None:
    """The window is read in the lead's zone, falling back to the campaign's."""
    assert decide(SERIES, sit, now) == expected


def visible(sit: Situation, now: datetime) -> Situation:
    """Only events that have happened by `now` are in the history."""
    return replace(sit, history=tuple(e for e in sit.history if e.occurred_at <= now))


def handled(sit: Situation, step_id: str, now: datetime) -> Situation:
    """The service's bookkeeping after a Send or a Skip."""
    done = (*sit.enrolment.steps_done, step_id)
    return replace(sit, enrolment=replace(sit.enrolment, steps_done=done, last_step_at=now))


def follow_waits(camp: Campaign, sit: Situation, now: datetime) -> list[tuple[str, datetime]]:
    """Call decide, jump to each Wait's instant, apply Send/Skip, until the lead is done."""
    log: list[tuple[str, datetime]] = []
    for _ in range(100):
        match decide(camp, visible(sit, now), now):
            case Wait(until=until):
                assert until > now, "a Wait must move the clock forward"
                now = until
            case Send(step_id=step) | Skip(step_id=step) as decision:
                log.append((f"{type(decision).__name__.lower()} {step}", now))
                sit = handled(sit, step, now)
            case Exit(reason=reason):
                return [*log, (f"exit {reason}", now)]
            case Complete():
                return log
    raise AssertionError("decide did not finish in 100 calls")


def poll(camp: Campaign, sit: Situation, start: datetime, days: int) -> list[tuple[str, datetime]]:
    """A scheduler pass every 5 minutes that ignores Wait instants: sends stay exactly once."""
    log: list[tuple[str, datetime]] = []
    for tick in range(days * 24 * 12):
        now = start + timedelta(minutes=5 * tick)
        decision = decide(camp, visible(sit, now), now)
        if isinstance(decision, Send | Skip):
            log.append((f"{type(decision).__name__.lower()} {decision.step_id}", now))
            sit = handled(sit, decision.step_id, now)
    return log


TWO_STEPS = campaign({"id": "hello"}, {"id": "next", "after": "1d"})
NIGHT = campaign({"id": "hello"}, window=SUNDAY_NIGHT)


def enrolled(at: datetime, timezone: str | None = None) -> Situation:
    return situation(enrolled=at, done=(), last=None, lead=LeadView(timezone=timezone))


@pytest.mark.parametrize(
    ("camp", "sit", "expected"),
    [
        pytest.param(
            TWO_STEPS,
            enrolled(utc("2026-03-28 10:00")),
            [("send hello", utc("2026-03-30 07:00")), ("send next", utc("2026-03-31 07:00"))],
            id="spring DST weekend: monday 09:00 CEST",
        ),
        pytest.param(
            TWO_STEPS,
            enrolled(utc("2026-03-27 08:30")),
            [("send hello", utc("2026-03-27 08:30")), ("send next", utc("2026-03-30 07:00"))],
            id="due saturday across spring DST: monday 09:00 CEST",
        ),
        pytest.param(
            TWO_STEPS,
            enrolled(utc("2026-10-24 10:00")),
            [("send hello", utc("2026-10-26 08:00")), ("send next", utc("2026-10-27 08:00"))],
            id="autumn DST weekend: monday 09:00 CET",
        ),
        pytest.param(
            TWO_STEPS,
            enrolled(utc("2026-10-23 15:30")),
            [("send hello", utc("2026-10-23 15:30")), ("send next", utc("2026-10-26 08:00"))],
            id="due saturday across autumn DST: monday 09:00 CET",
        ),
        pytest.param(
            NIGHT,
            enrolled(utc("2026-03-28 20:00")),
            [("send hello", utc("2026-03-29 01:00"))],
            id="window opening in the spring gap: when clocks jump",
        ),
        pytest.param(
            NIGHT,
            enrolled(utc("2026-10-24 20:00")),
            [("send hello", utc("2026-10-25 00:30"))],
            id="window opening in the repeated hour: first occurrence",
        ),
        pytest.param(
            TWO_STEPS,
            enrolled(utc("2026-03-28 10:00"), timezone="Bad/Zone"),
            [("send hello", utc("2026-03-30 07:00")), ("send next", utc("2026-03-31 07:00"))],
            id="invalid lead zone: campaign zone",
        ),
    ],
)
def test_sends_once_at_the_right_instant(
    camp: Campaign, sit: Situation, expected: list[tuple[str, datetime]]
) -> None:
    """Following the Waits, or polling every 5 minutes, each step is sent once, on time."""
    start = sit.enrolment.enrolled_at
    assert follow_waits(camp, sit, start) == expected
    assert poll(camp, sit, start, days=5) == expected


def human(kind: str, at: str, step: str = "hello", classification: str = "human") -> EventView:
    return EventView(kind, utc(at), "welcome", step, classification)


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        pytest.param(
            (),
            [
                ("send hello", utc("2026-03-02 09:00")),
                ("skip case-study", utc("2026-03-04 09:00")),
                ("send nudge", utc("2026-03-05 09:00")),
            ],
            id="no engagement: case study skipped, nudged",
        ),
        pytest.param(
            (human("email_opened", "2026-03-02 12:00"),),
            [
                ("send hello", utc("2026-03-02 09:00")),
                ("send case-study", utc("2026-03-04 09:00")),
                ("send nudge", utc("2026-03-05 09:00")),
            ],
            id="human open: case study sent",
        ),
        pytest.param(
            (
                human("email_opened", "2026-03-02 09:01", classification="proxy"),
                human("email_clicked", "2026-03-02 09:01", classification="scanner"),
            ),
            [
                ("send hello", utc("2026-03-02 09:00")),
                ("skip case-study", utc("2026-03-04 09:00")),
                ("send nudge", utc("2026-03-05 09:00")),
            ],
            id="proxy open and scanner click: as if nothing happened",
        ),
        pytest.param(
            (human("email_opened", "2026-03-02 12:00"), human("email_clicked", "2026-03-02 12:01")),
            [
                ("send hello", utc("2026-03-02 09:00")),
                ("send case-study", utc("2026-03-04 09:00")),
                ("skip nudge", utc("2026-03-05 09:00")),
            ],
            id="human click: no nudge",
        ),
        pytest.param(
            (EventView("email_replied", utc("2026-03-03 10:00")),),
            [
                ("send hello", utc("2026-03-02 09:00")),
                ("exit event:email_replied", utc("2026-03-04 09:00")),
            ],
            id="reply: exits before the next step",
        ),
    ],
)
def test_conditions_and_exits_in_a_run(
    history: tuple[EventView, ...], expected: list[tuple[str, datetime]]
) -> None:
    """`if:` conditions skip and `exit:` rules stop, as the campaign file says."""
    sit = situation(enrolled=utc("2026-03-02 09:00"), done=(), last=None, history=history)
    assert follow_waits(SERIES, sit, utc("2026-03-02 09:00")) == expected
