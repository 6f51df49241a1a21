"""The lead list on SQLite and PostgreSQL: search, every filter, pages, bad filters."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from nurture.db import unit_of_work
from nurture.models import Enrolment, Lead
from tests.admin_support import Admin, signed_in
from tests.conftest import RuntimeFactory
from tests.pipeline import THREE_STEPS, write_campaign

T0 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
FILLERS = 55
NAMED: list[dict[str, Any]] = [
    {"email": "ana@example.com", "first_name": "Ana", "last_name": "García", "company": "Acme",
     "temperature": "hot", "lifecycle_stage": "mql", "score": 75, "source": "web",
     "tags": ["webinar"]},
    {"email": "ben@example.com", "first_name": "Ben", "company": "Globex 100%",
     "temperature": "warm", "lifecycle_stage": "lead", "score": 40, "source": "fair", "tags": []},
    {"email": "cat@example.com", "first_name": "Cat", "temperature": "cold",
     "lifecycle_stage": "customer", "score": 10, "source": None, "tags": ["vip", "webinar"]},
]  # fmt: skip


def populate(admin: Admin) -> None:
    """Fillers first (older), then the three named leads; Ana is enrolled in `drip`."""
    write_campaign(admin.rt, THREE_STEPS)
    with unit_of_work(admin.rt.sessions) as session:
        for i in range(FILLERS):
            session.add(
                Lead(email=f"f{i:02}@filler.example", score=i % 30, source="import",
                     created_at=T0 + timedelta(minutes=i))
            )  # fmt: skip
        session.flush()
        for fields in NAMED:
            session.add(Lead(**fields, created_at=T0 + timedelta(days=1)))
            session.flush()
        ana = session.scalars(select(Lead).where(Lead.email == "ana@example.com")).one()
        session.add(Enrolment(lead_id=ana.id, campaign_id="drip", campaign_version="v1"))


def emails(admin: Admin, query: str) -> list[str]:
    html = admin.page(f"/admin/leads?{query}")
    return re.findall(r'<th scope="row"><a href="/admin/leads/[\w-]+">([^<]+)</a></th>', html)


def test_search_and_filters(make_runtime: RuntimeFactory, db_url: str) -> None:
    """Each filter alone and together; search by email, name, full name and company,
    with `%` and `_` taken literally."""
    admin = signed_in(make_runtime, db_url)
    populate(admin)
    expected = {
        "q=garc%C3%ADa": ["ana@example.com"],
        "q=Ana+Garc%C3%ADa": ["ana@example.com"],
        "q=ACME": ["ana@example.com"],
        "q=100%25": ["ben@example.com"],
        "q=_": [],
        "q=%40example.com": ["cat@example.com", "ben@example.com", "ana@example.com"],
        "temperature=hot": ["ana@example.com"],
        "stage=customer": ["cat@example.com"],
        "score_min=40&score_max=75": ["ben@example.com", "ana@example.com"],
        "source=web": ["ana@example.com"],
        "source=%28unknown%29": ["cat@example.com"],
        "tag=webinar": ["cat@example.com", "ana@example.com"],
        "tag=vip": ["cat@example.com"],
        "tag=webin": [],
        "campaign=drip": ["ana@example.com"],
        "tag=webinar&temperature=cold": ["cat@example.com"],
        "q=example&score_min=30&sort=score": ["ana@example.com", "ben@example.com"],
    }
    for query, found in expected.items():
        assert emails(admin, query) == found, query


def test_pages_keep_the_filters(make_runtime: RuntimeFactory, db_url: str) -> None:
    """50 a page, newest first; the next page link carries the filters along."""
    admin = signed_in(make_runtime, db_url)
    populate(admin)
    html = admin.page("/admin/leads")
    assert "58 leads, page 1 of 2." in html
    first = emails(admin, "")
    assert len(first) == 50
    assert first[:3] == ["cat@example.com", "ben@example.com", "ana@example.com"]
    second = emails(admin, "page=2")
    assert second == [f"f{i:02}@filler.example" for i in range(7, -1, -1)]
    filtered = admin.page("/admin/leads?source=import&sort=score")
    assert 'href="/admin/leads?source=import&amp;sort=score&amp;page=2"' in filtered
    assert len(emails(admin, "source=import&sort=score&page=2")) == FILLERS - 50


def test_bad_filters_say_what_is_wrong(make_runtime: RuntimeFactory, db_url: str) -> None:
    """400 with the field named and the form filled in as sent; no half-filtered list."""
    admin = signed_in(make_runtime, db_url)
    populate(admin)
    for query, message in (
        ("temperature=boiling", "temperature must be one of cold, warm, hot"),
        ("score_min=abc", "score min must be a whole number from 0 to 100"),
        ("score_max=101", "score max must be a whole number from 0 to 100"),
        ("score_min=80&score_max=10", "score from is above score to"),
        ("page=0", "page must be a whole number from 1 to 1000000"),
        ("page=%C2%B2", "page must be a whole number from 1 to 1000000"),  # "²": isdigit()
        ("score_min=%C2%B9", "score min must be a whole number from 0 to 100"),
        ("q=" + "x" * 201, "q is longer than 200 characters"),
    ):
        response = admin.client.get(f"/admin/leads?{query}")
        html = response.get_data(as_text=True)
        assert response.status_code == 400, query
        assert message in html, query
        assert "<tbody>" not in html
    kept = admin.client.get("/admin/leads?score_min=abc&source=web").get_data(as_text=True)
    assert 'name="source" type="text" value="web"' in kept
    assert 'name="score_min" type="number" value="abc" min="0" max="100" aria-invalid="true"' in (
        kept
    )
