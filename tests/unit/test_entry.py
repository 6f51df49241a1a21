from __future__ import annotations

from typing import Any

import pytest

from nurture.campaigns.schema import Where
from nurture.scheduling.entry import matches_where

LEAD: dict[str, Any] = {
    "email": "ana@example.es",
    "country": "es",
    "locale": "es",
    "source": "webinar",
    "industry": "retail",
    "company_size": "11-50",
    "score": 12,
    "temperature": "warm",
    "lifecycle_stage": "lead",
    "tags": ["webinar", "spring"],
}


def where(**keys: object) -> Where:
    return Where.model_validate(keys)


def lead(**changes: object) -> dict[str, Any]:
    return {**LEAD, **changes}


@pytest.mark.parametrize(
    ("rule", "candidate", "expected"),
    [
        pytest.param(None, LEAD, True, id="no filters: everyone"),
        pytest.param(where(), LEAD, True, id="empty where: everyone"),
        pytest.param(where(country=["ES", "FR"]), LEAD, True, id="country any of, any case"),
        pytest.param(where(country=["FR"]), LEAD, False, id="country not listed"),
        pytest.param(where(country=["ES"]), lead(country=None), False, id="country unknown"),
        pytest.param(where(country=["ES"]), lead(country=""), False, id="country empty"),
        pytest.param(
            where(country=["ES"]), {"email": "x@example.org"}, False, id="country key missing"
        ),
        pytest.param(where(score=">= 10"), LEAD, True, id="score comparison holds"),
        pytest.param(where(score="> 12"), LEAD, False, id="score comparison fails"),
        pytest.param(where(score=">= 0"), lead(score=None), False, id="score missing"),
        pytest.param(where(tags=["vip", "webinar"]), LEAD, True, id="tags: one in common"),
        pytest.param(where(tags=["vip"]), LEAD, False, id="tags: none in common"),
        pytest.param(where(tags=["vip"]), lead(tags=[]), False, id="tags: lead has none"),
        pytest.param(
            where(tags=["webinar"]), lead(tags="webinar"), True, id="tags: a single tag as text"
        ),
        pytest.param(where(temperature=["warm", "hot"]), LEAD, True, id="temperature any of"),
        pytest.param(where(lifecycle_stage=["customer"]), LEAD, False, id="stage not listed"),
        pytest.param(
            where(source=["webinar"], industry=["retail"]), LEAD, True, id="every key holds"
        ),
        pytest.param(
            where(source=["webinar"], industry=["banking"]),
            LEAD,
            False,
            id="one key fails: no match",
        ),
        pytest.param(
            where(company_size=["11-50"], locale=["es"]), LEAD, True, id="size and locale"
        ),
    ],
)
def test_matches_where(rule: Where | None, candidate: dict[str, Any], expected: bool) -> None:
    """Entry filters: every key must hold, lists mean any of, unknown values never match."""
    assert matches_where(rule, candidate) is expected
