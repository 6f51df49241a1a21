"""Helpers for the prospect-side tests: a test client on a runtime, CSRF tokens, counts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from nurture.db import unit_of_work
from nurture.models import Base, Lead, Message
from nurture.runtime import Runtime
from nurture.web import create_app
from tests.pipeline import add_lead, write_campaign

SIGNED_UP = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

NO_WINDOW = """
id: news
name: News
purpose: newsletter
sender: "Acme News <news@acme.example>"
entry:
  on: consent_confirmed
steps:
  - id: hello
    after: 0m
    subject: "Hello {{ lead.first_name or 'you' }}"
    template: welcome/hello.html
  - id: later
    after: 2d
    subject: "Later"
    template: welcome/trial.html
"""


@dataclass
class Site:
    rt: Runtime
    app: Flask
    client: FlaskClient

    def fresh_client(self) -> FlaskClient:
        return self.app.test_client(use_cookies=False)

    def csrf(self, path: str) -> str:
        return csrf_of(self.client.get(path).get_data(as_text=True))

    def lead(self, email: str) -> Lead | None:
        with unit_of_work(self.rt.sessions) as session:
            return session.scalar(select(Lead).where(Lead.email == email))


def make_site(rt: Runtime, campaign: str = NO_WINDOW) -> Site:
    write_campaign(rt, campaign)
    app = create_app(rt)
    return Site(rt, app, app.test_client())


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def consented(site: Site, email: str = "ana@example.com", **fields: str) -> Lead:
    add_lead(site.rt, email, SIGNED_UP, **cast(dict[str, Any], fields))
    lead = site.lead(email)
    assert lead is not None
    return lead


def row_counts(rt: Runtime) -> dict[str, int]:
    """Rows in every table the models declare: what "nothing changed" is checked against."""
    with unit_of_work(rt.sessions) as session:
        return {
            table.name: int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }


def table_dump(rt: Runtime) -> str:
    """Every value of every row of every table, as one string (for "no trace" checks)."""
    parts: list[str] = []
    with unit_of_work(rt.sessions) as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)):
                parts.append(f"{table.name}: {tuple(row)!r}")
    return "\n".join(parts)


def mail_rows(rt: Runtime, kind: str = "transactional") -> list[Message]:
    with unit_of_work(rt.sessions) as session:
        return list(session.scalars(select(Message).where(Message.kind == kind)))
