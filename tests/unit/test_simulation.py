"""`nurture simulate`: a 3-step campaign on a virtual clock, checked against a hand count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nurture.campaigns.schema import Campaign
from nurture.scheduling.views import EventView, LeadView
from nurture.simulation.engagement import Assumptions, SeededEngagement
from nurture.simulation.outcome import summarise, to_table
from nurture.simulation.population import Population, SimLead, synthetic
from nurture.simulation.run import simulate

DATA: dict[str, Any] = {
        "id": "drip",
        "name": "Drip",
        "purpose": "newsletter",
        "sender": "Acme <news@acme.example>",
        "entry": {"on": "consent_confirmed"},
        "window": {
            "days": ["mon", "tue", "wed", "thu", "fri"],
            "hours": "09:00-17:00",
            "timezone": "Europe/Madrid",
        },
        "exit": {"events": ["converted"]},
        "steps": [
            {"id": "one", "after": "0m", "subject": "1", "template": "t.html"},
            {"id": "two", "after": "2d", "if": {"opened": "one"}, "subject": "2",
             "template": "t.html"},
            {"id": "three", "after": "1d", "subject": "3", "template": "t.html"},
        ],
}  # fmt: skip
CAMPAIGN = Campaign.model_validate(DATA)
# Friday 2026-05-15, 15:30 UTC: 17:30 in Madrid (closed), 16:30 in London and 09:30 in
# Mexico City (open). No clock change in May anywhere involved.
START = datetime(2026, 5, 15, 15, 30, tzinfo=UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass(frozen=True)
class Scripted:
    """Madrid and Mexico open step one an hour after it arrives; London buys the next day."""

    def reactions(self, lead: str, campaign_id: str, step_id: str, at: datetime) -> list[EventView]:
        if step_id != "one":
            return []
        if lead in ("madrid", "mexico"):
            return [
                EventView("email_opened", at + timedelta(hours=1), campaign_id, step_id, "human")
            ]
        if lead == "london":
            return [EventView("converted", at + timedelta(days=1))]
        return []


def leads() -> list[SimLead]:
    zones = {
        "madrid": "Europe/Madrid",
        "mexico": "America/Mexico_City",
        "unknown": None,  # falls back to the window's zone, Madrid
        "london": "Europe/London",
    }
    return [SimLead(key, LeadView(timezone=zone)) for key, zone in zones.items()]


def test_three_steps_with_a_weekday_window_match_the_hand_count() -> None:
    """Volumes, skips, the exit and every send instant, as worked out by hand.

    madrid  one Mon 18 07:00 UTC (09:00 local; Friday 17:30 was closed), opened;
            two Wed 20 07:00 (+2 days), three Thu 21 07:00 (+1 day).
    mexico  one Fri 15 15:30 (09:30 local), opened; two due Sun 17 15:30, a Sunday, so
            Mon 18 15:00 (09:00 local); three Tue 19 15:00 (+1 day).
    unknown as Madrid for one (Mon 18 07:00); not opened, so two is skipped when due (Wed
            20 07:00) and three comes a day after the skip: Thu 21 07:00.
    london  one Fri 15 15:30 (16:30 local); converts Sat; exits when two is due (Sun).
    """
    trace = simulate(CAMPAIGN, leads(), START, START + timedelta(days=10), Scripted())

    assert [(s.lead, s.step_id, s.at) for s in trace.sent] == [
        ("mexico", "one", utc("2026-05-15 15:30")),
        ("london", "one", utc("2026-05-15 15:30")),
        ("madrid", "one", utc("2026-05-18 07:00")),
        ("unknown", "one", utc("2026-05-18 07:00")),
        ("mexico", "two", utc("2026-05-18 15:00")),
        ("mexico", "three", utc("2026-05-19 15:00")),
        ("madrid", "two", utc("2026-05-20 07:00")),
        ("madrid", "three", utc("2026-05-21 07:00")),
        ("unknown", "three", utc("2026-05-21 07:00")),
    ]
    assert [(s.step_id, s.at, s.reason) for s in trace.skipped] == [
        ("two", utc("2026-05-20 07:00"), "not opened one")
    ]
    assert trace.exited == {"event:converted": 1}
    assert (trace.completed, trace.waiting) == (3, {})

    population = Population(leads(), "synthetic", 4)
    outcome = summarise(CAMPAIGN, population, trace, START, START + timedelta(days=10), None, [])
    result = outcome.to_json()
    assert result["campaign"] == "drip"
    assert [(s["id"], s["sent"], s["skipped"]) for s in result["steps"]] == [
        ("one", 4, 0),
        ("two", 2, 1),
        ("three", 3, 0),
    ]
    assert (result["exited"], result["completed"], result["waiting"]) == (1, 3, 0)
    assert result["per_day"] == [  # in Madrid's calendar
        {"date": "2026-05-15", "one": 2, "two": 0, "three": 0, "total": 2},
        {"date": "2026-05-18", "one": 2, "two": 1, "three": 0, "total": 3},
        {"date": "2026-05-19", "one": 0, "two": 0, "three": 1, "total": 1},
        {"date": "2026-05-20", "one": 0, "two": 1, "three": 0, "total": 1},
        {"date": "2026-05-21", "one": 0, "two": 0, "three": 2, "total": 2},
    ]
    assert result["steps"][1]["skip_reasons"] == {"not opened one": 1}
    assert result["steps"][0]["first_send"] == "2026-05-15 17:30"  # Madrid time
    table = to_table(outcome)
    assert "two          2        1" in table
    assert "exited 1: event:converted ×1" in table


def test_a_short_horizon_leaves_leads_waiting_with_the_reason() -> None:
    """Ended on Saturday: Madrid leads still wait for Monday's window opening."""
    trace = simulate(CAMPAIGN, leads(), START, utc("2026-05-16 12:00"), Scripted())
    assert len(trace.sent) == 2
    assert trace.waiting == {"outside window": 2, "not due": 2}


def test_an_unsubscribe_withdraws_consent_and_ends_the_enrolment() -> None:
    """An unsubscribe after step one is a consent withdrawal at the next decision."""

    class Leaves:
        def reactions(
            self, lead: str, campaign_id: str, step_id: str, at: datetime
        ) -> list[EventView]:
            return [EventView("unsubscribed", at + timedelta(minutes=30), campaign_id, step_id)]

    trace = simulate(CAMPAIGN, leads()[:1], START, START + timedelta(days=10), Leaves())
    assert [s.step_id for s in trace.sent] == ["one"]
    assert trace.exited == {"consent_withdrawn": 1}


def test_seeded_assumptions_are_reproducible_and_exercise_both_branches() -> None:
    """Same seed, same run; the `if: opened` step both goes out and is skipped."""
    population = synthetic(CAMPAIGN, 400, seed=7)
    end = START + timedelta(days=14)

    def run(seed: int) -> list[tuple[str, str, datetime]]:
        engagement = SeededEngagement(Assumptions(open_rate=0.4, click_rate=0.1, seed=seed))
        trace = simulate(CAMPAIGN, population.leads, START, end, engagement)
        return [(s.lead, s.step_id, s.at) for s in trace.sent]

    first = run(7)
    assert first == run(7)
    assert first != run(8)
    sent_two = sum(1 for _, step, _ in first if step == "two")
    assert 0.3 * 400 < sent_two < 0.5 * 400  # about the open rate
    zones = {lead.view.timezone for lead in population.leads}
    assert {"Europe/Madrid", "America/Mexico_City", None} <= zones


def test_entry_filters_apply_to_synthetic_leads() -> None:
    """Only leads that pass `entry.where` enrol; the rest are counted with the reason."""
    where = {"on": "consent_confirmed", "where": {"country": ["ES"]}}
    spain_only = Campaign.model_validate({**DATA, "entry": where})
    population = synthetic(spain_only, 300, seed=3)
    assert 0 < len(population.leads) < 300
    assert population.not_enrolled == {"entry filters (where)": 300 - len(population.leads)}


@pytest.mark.parametrize(
    ("rates", "message"),
    [
        ({"open_rate": 1.5}, "open rate must be between 0 and 1"),
        ({"click_rate": 0.5}, "cannot exceed"),
    ],
)
def test_impossible_assumptions_are_refused(rates: dict[str, Any], message: str) -> None:
    """Rates outside 0..1, or more clicks than opens, are errors, not silent nonsense."""
    with pytest.raises(ValueError, match=message):
        Assumptions(**rates)
