"""Every reason the scorer gives for a line is put in English and Spanish words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from nurture.gdpr.explain import describe
from nurture.scoring.compute import score
from nurture.scoring.explain import from_json
from nurture.scoring.rules import ScoringRules
from nurture.scoring.store import line_json
from nurture.scoring.views import EventFact, LeadFacts

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
RULES = ScoringRules.model_validate(
    {
        "behaviour": [
            {"id": "demo", "event": "form_submitted", "points": 15, "once": True},
            {"id": "open", "event": "opened", "points": 1, "max_per_day": 1},
            {"id": "reply", "event": "replied", "points": 60},
        ],
        "fit": [{"id": "iberia", "field": "country", "in": ["ES"], "points": 50}],
        "decay": {"half_life": "10d"},
    }
)
EVENTS = [
    EventFact(1, "form_submitted", NOW - timedelta(days=1)),
    EventFact(2, "form_submitted", NOW - timedelta(hours=1)),
    EventFact(3, "email_opened", NOW - timedelta(minutes=2)),
    EventFact(4, "email_opened", NOW - timedelta(minutes=1)),
    EventFact(5, "email_opened", NOW, "proxy"),
    EventFact(6, "email_replied", NOW),
]


def notes(lang: str) -> list[str]:
    result = score(LeadFacts(fields={"country": "ES"}), EVENTS, RULES, NOW)
    lines = [describe(from_json(line_json(line)), lang) for line in result.ledger]
    return [f"{line.rule}|{line.what}|{line.note}" for line in lines]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            [
                "iberia|profile matches (country: ES)|",
                "demo|form_submitted|older activity weighs less",
                "demo|form_submitted|counts only once: already counted on 2026-05-03",
                "open|email_opened|",
                "open|email_opened|limit of 1 a day (UTC) reached",
                "open|email_opened|proxy: not a person, not counted",
                "reply|email_replied|",
                "total|the sum, 125, is kept within 0–100|",
            ],
        ),
        (
            "es",
            [
                "iberia|el perfil encaja (country: ES)|",
                "demo|form_submitted|la actividad antigua pesa menos",
                "demo|form_submitted|solo cuenta una vez: ya contó el 2026-05-03",
                "open|email_opened|",
                "open|email_opened|alcanzado el límite de 1 al día (UTC)",
                "open|email_opened|proxy: no es una persona, no cuenta",
                "reply|email_replied|",
                "total|la suma, 125, se mantiene entre 0 y 100|",
            ],
        ),
    ],
)
def test_every_kind_of_line_is_worded(lang: str, expected: list[str]) -> None:
    """Fit, decay, once-only, the daily cap, the machine filter and the clamp."""
    assert notes(lang) == expected
