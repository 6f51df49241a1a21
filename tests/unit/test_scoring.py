"""The pure scoring function: every rule kind, caps, once-only, decay, clamping,
hysteresis, disqualifiers, stages and the seeds' scale (table-driven, no database)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nurture.scoring.compute import score
from nurture.scoring.loader import DEFAULT_RULES, read_scoring
from nurture.scoring.rules import ScoringRules, Temperatures
from nurture.scoring.stages import temperature_of
from nurture.scoring.views import EventFact, LeadFacts

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
_ids = itertools.count(1)


def ev(
    kind: str,
    ago: timedelta = timedelta(0),
    classification: str | None = None,
    **data: Any,
) -> EventFact:
    return EventFact(next(_ids), kind, NOW - ago, classification, data)


def rules(**sections: Any) -> ScoringRules:
    """Rules without decay unless asked: the points under test stay whole."""
    sections.setdefault("decay", {"half_life": None})
    return ScoringRules.model_validate(sections)


def behaviour(**rule: Any) -> ScoringRules:
    return rules(behaviour=[{"id": "r", **rule}])


LEAD = LeadFacts(fields={"email": "ana@example.com"})


def engagement(rule_set: ScoringRules, *events: EventFact, machines: bool = False) -> int:
    return score(LEAD, events, rule_set, NOW, count_machines=machines).engagement


@pytest.mark.parametrize(
    ("rule_set", "events", "expected"),
    [
        pytest.param(
            behaviour(event="replied", points=2), [ev("email_replied")] * 1, 2, id="alias"
        ),
        pytest.param(
            behaviour(event="email_replied", points=2),
            [ev("email_replied"), ev("email_replied", DAY)],
            4,
            id="per occurrence",
        ),
        pytest.param(
            behaviour(event="email_replied", points=2), [ev("email_opened")], 0, id="other type"
        ),
        pytest.param(
            behaviour(event="clicked", url="*/pricing*", points=5),
            [ev("email_clicked", url="https://acme.example/Pricing?plan=pro")],
            5,
            id="url glob, any case",
        ),
        pytest.param(
            behaviour(event="clicked", url="*/pricing*", points=5),
            [ev("email_clicked", url="https://acme.example/blog"), ev("email_clicked")],
            0,
            id="url glob: no match, no url",
        ),
        pytest.param(
            behaviour(event="form_submitted", form="demo-request", points=15),
            [ev("form_submitted", form="Demo-Request")],
            15,
            id="form by name",
        ),
        pytest.param(
            behaviour(event="form_submitted", form=["demo", "contact"], points=15),
            [ev("form_submitted", form="newsletter"), ev("form_submitted", form="contact")],
            15,
            id="form: any of a list",
        ),
        pytest.param(
            behaviour(event="consent_granted", data={"purpose": "newsletter"}, points=1),
            [ev("consent_granted", purpose="newsletter"), ev("consent_granted", purpose="events")],
            1,
            id="data equality",
        ),
        pytest.param(
            behaviour(event="call_completed", data={"minutes": ">= 20"}, points=5),
            [
                ev("call_completed", minutes=25),
                ev("call_completed", minutes="20"),
                ev("call_completed", minutes=19),
                ev("call_completed"),
            ],
            10,
            id="data comparison (number or numeric text)",
        ),
        pytest.param(
            behaviour(event="webinar_attended", data={"topic": ["crm", "email"]}, points=3),
            [ev("webinar_attended", topic="EMAIL"), ev("webinar_attended", topic="seo")],
            3,
            id="data: any of a list",
        ),
        pytest.param(
            behaviour(event="email_clicked", points=5, once=True),
            [ev("email_clicked", DAY * 2), ev("email_clicked", DAY), ev("email_clicked")],
            5,
            id="once only",
        ),
        pytest.param(
            behaviour(event="email_opened", points=1, max_per_day=2),
            [ev("email_opened", timedelta(hours=h)) for h in range(5)],
            2,
            id="cap per day",
        ),
        pytest.param(
            behaviour(event="email_opened", points=1, max_per_day=2),
            [ev("email_opened", timedelta(hours=h)) for h in (1, 2, 3, 25, 26, 27)],
            4,
            id="cap per day, two days",
        ),
        pytest.param(
            behaviour(event="email_opened", points=1),
            [
                ev("email_opened", classification="proxy"),
                ev("email_opened", classification="scanner"),
            ],
            0,
            id="machines do not count",
        ),
        pytest.param(
            behaviour(event="email_opened", points=1),
            [ev("email_opened", classification="human"), ev("email_opened")],
            2,
            id="human or unclassified count",
        ),
        pytest.param(
            behaviour(event="email_replied", points=2),
            [ev("email_replied", -DAY)],
            0,
            id="future events not yet",
        ),
        pytest.param(
            rules(
                behaviour=[
                    {"id": "click", "event": "clicked", "points": 3},
                    {"id": "pricing", "event": "clicked", "url": "*pricing*", "points": 5},
                ]
            ),
            [ev("email_clicked", url="https://a.example/pricing")],
            8,
            id="several rules on one event add up",
        ),
        pytest.param(
            behaviour(event="email_replied", points=-3),
            [ev("email_replied")],
            -3,
            id="negative points",
        ),
    ],
)
def test_behaviour_rules(rule_set: ScoringRules, events: list[EventFact], expected: int) -> None:
    """Each rule kind gives exactly its points for the events it matches."""
    assert engagement(rule_set, *events) == expected


def test_machines_count_when_the_setting_says_so() -> None:
    """NURTURE_COUNT_MACHINE_ENGAGEMENT: proxy and scanner opens count too."""
    rule_set = behaviour(event="email_opened", points=1)
    events = [
        ev("email_opened", classification="proxy"),
        ev("email_opened", classification="scanner"),
    ]
    assert engagement(rule_set, *events, machines=True) == 2


@pytest.mark.parametrize(
    ("half_lives", "weighted"),
    [(0, 8.0), (1, 4.0), (3, 1.0)],
    ids=["0 half-lives", "1 half-life", "3 half-lives"],
)
def test_decay(half_lives: int, weighted: float) -> None:
    """8 points keep 8, 4 and 1 after 0, 1 and 3 half-lives of 30 days."""
    rule_set = rules(
        behaviour=[{"id": "call", "event": "call_completed", "points": 8}],
        decay={"half_life": "30d"},
    )
    result = score(LEAD, [ev("call_completed", timedelta(days=30 * half_lives))], rule_set, NOW)
    [line] = result.ledger
    assert line.points == 8
    assert line.weighted == pytest.approx(weighted)
    assert result.engagement == round(weighted)


def test_decay_can_be_switched_off_per_rule() -> None:
    """`decays: false` keeps full weight after 3 half-lives."""
    rule_set = rules(
        behaviour=[{"id": "no-show", "event": "meeting_no_show", "points": -10, "decays": False}],
        decay={"half_life": "30d"},
    )
    assert score(LEAD, [ev("meeting_no_show", DAY * 90)], rule_set, NOW).engagement == -10


def test_engagement_rounds_half_up() -> None:
    """5 points at one half-life are 2.5, shown as 3 (what a person adding up expects)."""
    rule_set = rules(
        behaviour=[{"id": "call", "event": "call_completed", "points": 5}],
        decay={"half_life": "10d"},
    )
    assert score(LEAD, [ev("call_completed", DAY * 10)], rule_set, NOW).engagement == 3


def fit_of(rule: dict[str, Any], **fields: Any) -> int:
    rule_set = rules(fit=[{"id": "f", "points": 10, **rule}])
    return score(LeadFacts(fields=fields), [], rule_set, NOW).fit


@pytest.mark.parametrize(
    ("rule", "fields", "points"),
    [
        ({"field": "job_title", "matches": ["*head of*"]}, {"job_title": "Head of Sales"}, 10),
        ({"field": "job_title", "matches": ["*head of*"]}, {"job_title": "Sales rep"}, 0),
        ({"field": "job_title", "matches": ["*head of*"]}, {}, 0),
        ({"field": "industry", "in": ["Software", "SaaS"]}, {"industry": "saas"}, 10),
        ({"field": "company_size", "at_least": 50}, {"company_size": "51-200"}, 10),
        ({"field": "company_size", "at_least": 50}, {"company_size": "11-50"}, 0),
        ({"field": "company_size", "below": 1000}, {"company_size": "1000+"}, 0),
        ({"field": "company_size", "at_least": 50, "below": 1000}, {"company_size": 200}, 10),
        ({"field": "country", "in": ["ES", "PT"]}, {"country": "es"}, 10),
        (
            {"field": "attributes.budget", "at_least": 5000},
            {"attributes": {"budget": "€10,000"}},
            10,
        ),
        ({"field": "attributes.budget", "at_least": 5000}, {"attributes": {}}, 0),
        ({"field": "email_domain", "in": ["acme.example"]}, {"email": "x@acme.example"}, 10),
        ({"field": "tags", "in": ["webinar"]}, {"tags": ["vip", "Webinar"]}, 10),
    ],
)
def test_fit_rules(rule: dict[str, Any], fields: dict[str, Any], points: int) -> None:
    """Profile tests: globs, lists, numbers from ranges and text, attributes, domain, tags."""
    assert fit_of(rule, **fields) == points


CLAMP = rules(
    fit=[{"id": "big", "field": "company_size", "at_least": 1, "points": 60}],
    behaviour=[{"id": "reply", "event": "email_replied", "points": 35}],
)


@pytest.mark.parametrize(
    ("fields", "events", "total", "clamped"),
    [
        ({"company_size": "500"}, [ev("email_replied"), ev("email_replied")], 100, True),
        ({"company_size": "500"}, [ev("email_replied")], 95, False),
        ({}, [], 0, False),
    ],
)
def test_total_is_clamped(
    fields: dict[str, Any], events: list[EventFact], total: int, clamped: bool
) -> None:
    """fit + engagement, kept within 0-100, with a ledger line saying so."""
    result = score(LeadFacts(fields=fields), events, CLAMP, NOW)
    assert result.total == total
    assert any(line.kind == "clamp" for line in result.ledger) is clamped


def test_negative_total_is_clamped_to_zero() -> None:
    """A no-show on a lead with nothing else stays at 0, not -10; engagement keeps -10."""
    result = score(
        LEAD, [ev("meeting_no_show")], behaviour(event="meeting_no_show", points=-10), NOW
    )
    assert (result.engagement, result.total) == (-10, 0)
    assert result.ledger[-1].note == "fit 0 + engagement -10 = -10, kept within 0-100"


T = Temperatures(warm=40, hot=70, hysteresis=5)


@pytest.mark.parametrize(
    ("total", "previous", "expected"),
    [
        (69, "cold", "warm"),
        (70, "cold", "hot"),
        (70, "warm", "hot"),
        (66, "hot", "hot"),
        (65, "hot", "hot"),
        (64, "hot", "warm"),
        (40, "cold", "warm"),
        (39, "cold", "cold"),
        (39, "warm", "warm"),
        (35, "warm", "warm"),
        (34, "warm", "cold"),
        (34, "hot", "cold"),
        (100, "cold", "hot"),
        (0, "hot", "cold"),
    ],
)
def test_temperature_hysteresis(total: int, previous: str, expected: str) -> None:
    """Up at the threshold; down only `hysteresis` points below the threshold crossed."""
    assert temperature_of(total, previous, T) == expected


def test_hysteresis_through_score() -> None:
    """A hot lead whose score dips from 70 to 67 stays hot; a cold one at 67 is warm."""
    rule_set = rules(fit=[{"id": "f", "field": "country", "in": ["ES"], "points": 67}])
    fields = {"country": "ES"}
    assert score(LeadFacts(fields, temperature="hot"), [], rule_set, NOW).temperature == "hot"
    assert score(LeadFacts(fields, temperature="cold"), [], rule_set, NOW).temperature == "warm"


DISQUALIFY = rules(
    fit=[{"id": "f", "field": "company_size", "at_least": 1, "points": 50}],
    behaviour=[{"id": "reply", "event": "email_replied", "points": 30}],
    disqualify=[
        {"id": "student", "field": "job_title", "matches": ["*student*"], "reason": "Students"},
        {
            "id": "not-a-fit",
            "event": "sales_rejected",
            "data": {"reason": "not_a_fit"},
            "reason": "No",
        },
    ],
)


@pytest.mark.parametrize(
    ("fields", "events", "previous", "stage", "by"),
    [
        ({"job_title": "PhD student"}, [ev("email_replied")], "lead", "disqualified", "student"),
        (
            {"job_title": "CTO"},
            [ev("sales_rejected", reason="NOT_A_FIT")],
            "sql",
            "disqualified",
            "not-a-fit",
        ),
        ({"job_title": "CTO"}, [ev("sales_rejected", reason="not_ready")], "lead", "mql", None),
        ({"job_title": "CTO"}, [ev("email_replied")], "disqualified", "sql", None),
        ({"job_title": "Student"}, [ev("converted")], "sql", "customer", None),
    ],
    ids=["profile", "event", "other reason", "lifted when profile changes", "customers never"],
)
def test_disqualifiers(
    fields: dict[str, Any], events: list[EventFact], previous: str, stage: str, by: str | None
) -> None:
    """Disqualified whatever the engagement: total 0 and cold; customers are exempt."""
    facts = LeadFacts({"company_size": "200", **fields}, temperature="hot", stage=previous)
    result = score(facts, events, DISQUALIFY, NOW)
    assert (result.stage, result.disqualified_by) == (stage, by)
    if stage == "disqualified":
        assert (result.total, result.temperature, result.handoff) == (0, "cold", None)
        assert result.fit == 50  # the parts stay, to explain what was set aside
        assert [line.rule for line in result.ledger if line.kind == "disqualifier"] == [by]


STAGES = rules(
    fit=[{"id": "f", "field": "company_size", "at_least": 1, "points": 20}],
    behaviour=[{"id": "reply", "event": "email_replied", "points": 10}],
    stages={
        "mql": {"score_at_least": 40},
        "sql": {"score_at_least": 70, "fit_at_least": 20, "events": ["meeting_booked"]},
        "customer": {"events": ["converted"]},
    },
    handoff={"when": {"stage": "sql"}, "returned": {"stage": "mql", "hold": "30d"}},
)


def replies(count: int) -> list[EventFact]:
    return [ev("email_replied", timedelta(minutes=n)) for n in range(count)]


@pytest.mark.parametrize(
    ("fields", "events", "previous", "stage", "handoff"),
    [
        ({}, replies(3), "lead", "lead", None),
        ({}, replies(4), "lead", "mql", None),
        ({}, replies(7), "lead", "mql", None),  # 70 without fit: not sales-ready
        ({"company_size": "10"}, replies(5), "lead", "sql", "stage sql"),
        ({}, [ev("meeting_booked")], "lead", "sql", "stage sql"),
        ({}, [], "sql", "sql", "stage sql"),  # stages do not fall back with the score
        ({}, [], "mql", "mql", None),
        ({}, [ev("converted")], "sql", "customer", None),
        ({}, [], "customer", "customer", None),
        ({"company_size": "10"}, [*replies(5), ev("sales_rejected", DAY)], "mql", "mql", None),
        (
            {"company_size": "10"},
            [*replies(5), ev("sales_rejected", DAY * 31)],
            "mql",
            "sql",
            "stage sql",
        ),
    ],
    ids=[
        "lead",
        "mql at 40",
        "sql needs fit",
        "sql",
        "sql by event",
        "no demotion",
        "mql stays",
        "customer",
        "customer sticks",
        "rejected: held at mql",
        "hold over",
    ],
)
def test_stages(
    fields: dict[str, Any],
    events: list[EventFact],
    previous: str,
    stage: str,
    handoff: str | None,
) -> None:
    """lead → mql → sql → customer, forward only; a rejection holds the lead back."""
    result = score(LeadFacts(fields, stage=previous), events, STAGES, NOW)
    assert (result.stage, result.handoff) == (stage, handoff)


def test_handoff_by_temperature() -> None:
    """`when: {temperature: hot}` hands over a hot lead whatever its stage."""
    rule_set = rules(
        behaviour=[{"id": "reply", "event": "email_replied", "points": 10}],
        handoff={"when": {"temperature": "hot"}},
    )
    assert score(LEAD, replies(7), rule_set, NOW).handoff == "temperature hot"
    assert score(LEAD, replies(6), rule_set, NOW).handoff is None


def test_objection_to_profiling_means_no_score_and_no_ledger() -> None:
    """Art. 21: no score at all, no ledger, stage left as it was, nothing handed over."""
    facts = LeadFacts(
        {"company_size": "10"}, temperature="hot", stage="mql", profiling_objected=True
    )
    result = score(facts, replies(9), STAGES, NOW)
    assert (result.fit, result.engagement, result.total, result.temperature) == (0, 0, 0, "cold")
    assert (result.stage, result.handoff, result.ledger) == ("mql", None, ())


def test_ledger_explains_the_score() -> None:
    """The lines add up to the parts, and say why a stopped event gave nothing."""
    rule_set = rules(
        fit=[{"id": "size", "field": "company_size", "at_least": 50, "points": 10}],
        behaviour=[{"id": "open", "event": "opened", "points": 1, "max_per_day": 1}],
        decay={"half_life": "30d"},
    )
    events = [
        ev("email_opened", DAY * 30),
        ev("email_opened"),
        ev("email_opened", classification="proxy"),
    ]
    result = score(LeadFacts({"company_size": "60"}), events, rule_set, NOW)
    fit = sum(line.points for line in result.ledger if line.kind == "fit")
    weighted = sum(line.weighted for line in result.ledger if line.kind == "behaviour")
    assert (fit, round(weighted, 2)) == (result.fit, 1.5)
    assert [line.note for line in result.ledger if line.kind == "behaviour"] == [
        "",
        "",
        "proxy: not a person, not counted",
    ]


DEFAULTS, _ = read_scoring(DEFAULT_RULES)


@pytest.mark.parametrize(
    ("event", "points"),
    [
        (ev("consent_granted", purpose="newsletter"), 1),
        (ev("email_replied"), 2),
        (ev("call_completed", minutes=20), 5),
        (ev("unsubscribed"), -3),
        (ev("meeting_no_show"), -10),
    ],
    ids=["newsletter sign-up +1", "reply +2", "20-minute call +5", "unsubscribe -3", "no-show -10"],
)
def test_the_seeds_scale(event: EventFact, points: int) -> None:
    """The shipped rules reproduce the usual scale, event by event, on the day."""
    assert DEFAULTS is not None
    result = score(LEAD, [event], DEFAULTS, NOW)
    assert result.engagement == points
    assert [line.points for line in result.ledger if line.kind == "behaviour"] == [points]


def test_the_seeds_scale_adds_up() -> None:
    """All five on the day: 1 + 2 + 5 - 3 - 10 = -5 engagement, total clamped to 0."""
    assert DEFAULTS is not None
    events = [
        ev("consent_granted", purpose="newsletter"),
        ev("email_replied"),
        ev("call_completed", minutes=20),
        ev("unsubscribed"),
        ev("meeting_no_show"),
    ]
    result = score(LEAD, events, DEFAULTS, NOW)
    assert (result.engagement, result.total) == (-5, 0)
