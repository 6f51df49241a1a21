"""Dashboard tests: a signed-in test client, and a history with Mautic's stored-XSS cases.

Mautic shipped stored XSS through lead names, tracked user agents, bounce text, campaign
names and tags; each of those values is planted here and must come out as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from nurture.db import unit_of_work
from nurture.leads.events import record_event
from nurture.models import Lead, Message
from nurture.runtime import Runtime
from nurture.web import create_app
from tests.conftest import RuntimeFactory
from tests.integration.test_reports import T0, history
from tests.pipeline import add_lead, write_campaign
from tests.prospects import csrf_of

PASSWORD = "correct horse battery staple"
SCRIPT = "<script>alert(1)</script>"
AGENT = '"><img src=x onerror=alert(1)>'
BOUNCE = '550 5.1.1 <b onmouseover="alert(1)">no such user</b><script>alert(2)</script>'
CAMPAIGN_NAME = "Spring </title><script>alert(3)</script>"
TAG = "vip\" onmouseover=\"alert(4)' x='"
ATTRIBUTE = "<img src=x onerror=alert(5)>"
SOURCE = "<i>fair</i>"
HOSTILE = (SCRIPT, AGENT, BOUNCE, CAMPAIGN_NAME, TAG, ATTRIBUTE, SOURCE)
XSS_EMAIL = "xss@example.com"

SPRING = f"""
id: spring
name: "{CAMPAIGN_NAME}"
purpose: newsletter
sender: "Acme <news@acme.example>"
entry:
  on: consent_confirmed
steps:
  - id: hello
    after: 0m
    subject: "Hello {{{{ lead.first_name or 'you' }}}}"
    template: welcome/hello.html
"""


@dataclass
class Admin:
    rt: Runtime
    app: Flask
    client: FlaskClient

    def login(self, password: str = PASSWORD, username: str = "admin", **form: str) -> TestResponse:
        token = csrf_of(self.client.get("/admin/login").get_data(as_text=True))
        data = {"username": username, "password": password, "csrf_token": token, **form}
        return self.client.post("/admin/login", data=data)

    def page(self, path: str) -> str:
        response = self.client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response.get_data(as_text=True)

    def post(self, path: str, **form: str) -> TestResponse:
        """A form posted from the dashboard (its CSRF token), redirect followed."""
        token = csrf_of(self.page("/admin/"))
        return self.client.post(path, data={"csrf_token": token, **form}, follow_redirects=True)


def make_admin(make_runtime: RuntimeFactory, db_url: str, **overrides: object) -> Admin:
    rt = make_runtime(db_url, **{"admin_password": PASSWORD, **overrides})
    app = create_app(rt)
    return Admin(rt, app, app.test_client())


def signed_in(make_runtime: RuntimeFactory, db_url: str, **overrides: object) -> Admin:
    admin = make_admin(make_runtime, db_url, **overrides)
    assert admin.login().status_code == 303
    return admin


def hostile_history(rt: Runtime) -> str:
    """The report tests' history (campaign `drip`), plus every hostile value; returns the
    hostile lead's public id."""
    history(rt)
    write_campaign(rt, SPRING, "spring.yaml")
    lead_id = add_lead(rt, XSS_EMAIL, T0, first_name=SCRIPT, company=SCRIPT)
    with unit_of_work(rt.sessions) as session:
        lead = session.get_one(Lead, lead_id)
        # Written behind the importer's back (it would refuse such a tag): the page must
        # not rely on it.
        lead.tags, lead.source = [TAG, "webinar"], SOURCE
        lead.attributes = {ATTRIBUTE: ATTRIBUTE}
        sent = Message(
            lead_id=lead.id, campaign_id="spring", step_id="hello", purpose="newsletter",
            status="sent", created_at=T0, sent_at=T0,
        )  # fmt: skip
        failed = Message(
            lead_id=lead.id, campaign_id="drip", step_id="one", purpose="newsletter",
            status="failed", attempts=1, last_error=BOUNCE, created_at=T0, updated_at=T0,
        )  # fmt: skip
        session.add_all([sent, failed])
        session.flush()
        record_event(
            session, lead, "email_opened", occurred_at=T0 + timedelta(hours=3),
            campaign_id="spring", step_id="hello", message_id=sent.id, classification="proxy",
            source="tracker",
            data={"user_agent": AGENT, "ip": "17.58.0.0", "reason": "Apple Mail Privacy"},
        )  # fmt: skip
        return lead.public_id


def message(rt: Runtime, public_id: str) -> Message:
    with unit_of_work(rt.sessions) as session:
        return session.scalars(select(Message).where(Message.public_id == public_id)).one()
