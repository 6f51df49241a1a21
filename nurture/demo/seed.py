"""Sample leads for the demo: B2C sign-ups through the double opt-in, B2B webinar guests."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from nurture.campaigns.purposes import Purposes, wording_hash
from nurture.consent.ledger import Proof, append, current
from nurture.leads.events import record_event
from nurture.leads.fields import clean_lead
from nurture.leads.service import upsert_lead
from nurture.models import Event

CONSUMERS = [
    {
        "email": "lucia.garcia@example.com",
        "first_name": "Lucía",
        "last_name": "García",
        "country": "ES",
        "locale": "es",
        "timezone": "Europe/Madrid",
        "source": "web-form",
    },
    {
        "email": "marc.dubois@example.org",
        "first_name": "Marc",
        "last_name": "Dubois",
        "country": "FR",
        "locale": "fr",
        "timezone": "Europe/Paris",
        "source": "web-form",
    },
    {
        "email": "emma.wilson@example.net",
        "first_name": "Emma",
        "last_name": "Wilson",
        "country": "GB",
        "locale": "en",
        "timezone": "Europe/London",
        "source": "ebook",
    },
    {
        "email": "diego.ramirez@example.com",
        "first_name": "Diego",
        "last_name": "Ramírez",
        "country": "MX",
        "locale": "es",
        "timezone": "America/Mexico_City",
        "source": "ebook",
    },
]
BUSINESSES = [
    {
        "email": "ana.torres@example-industrial.com",
        "first_name": "Ana",
        "last_name": "Torres",
        "company": "Industrias Torres",
        "job_title": "Head of Marketing",
        "industry": "Manufacturing",
        "company_size": "51-200",
        "country": "ES",
        "locale": "es",
        "timezone": "Europe/Madrid",
        "source": "webinar",
    },
    {
        "email": "james.okafor@example-logistics.com",
        "first_name": "James",
        "last_name": "Okafor",
        "company": "Okafor Logistics",
        "job_title": "Operations Director",
        "industry": "Logistics",
        "company_size": "201-500",
        "country": "GB",
        "locale": "en",
        "timezone": "Europe/London",
        "source": "webinar",
    },
]


def _sign_up(
    session: Session, purposes: Purposes, raw: dict[str, str], purpose: str, at: datetime
) -> None:
    """The public form's path: a grant, then the double opt-in confirmation."""
    lead, _ = upsert_lead(
        session, clean_lead(raw), source=raw.get("source"), now=at, event_source="form"
    )
    if purpose in current(session, lead.id):
        return  # seeded before: the demo is idempotent
    wording = purposes.wording(purpose, lead.locale or "en")
    proof = Proof(
        source="form",
        wording=wording,
        wording_hash=wording_hash(wording),
        locale=lead.locale,
        proof="demo sign-up",
    )
    append(session, lead, purpose, "granted", proof, at)
    append(
        session,
        lead,
        purpose,
        "confirmed",
        Proof(source="link", proof="demo confirmation"),
        at + timedelta(minutes=3),
    )


def seed(session: Session, purposes: Purposes, now: datetime) -> int:
    for raw in CONSUMERS:
        _sign_up(session, purposes, raw, "newsletter", now)
    for raw in BUSINESSES:
        _sign_up(session, purposes, raw, "events", now)
        lead, _ = upsert_lead(
            session, clean_lead(raw), source="webinar", now=now, event_source="cli"
        )
        attended = select(Event.id).where(
            Event.lead_id == lead.id, Event.type == "webinar_attended"
        )
        if session.scalar(attended) is None:
            record_event(
                session,
                lead,
                "webinar_attended",
                occurred_at=now,
                source="cli",
                data={"webinar": "Lead scoring in practice"},
            )
    return len(CONSUMERS) + len(BUSINESSES)
