"""Nothing goes out without current consent: not planned, and not sent if withdrawn later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import make_transient

from nurture.db import unit_of_work
from nurture.leads.events import record_event
from nurture.models import Enrolment, Event, Lead
from tests.pipeline import (
    THREE_STEPS,
    Engine,
    add_lead,
    messages,
    suppress_lead,
    withdraw,
    write_campaign,
)
from tests.smtp_server import SmtpServer

MONDAY = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)  # 10:00 in Madrid, inside the window
SIGNED_UP = MONDAY - timedelta(days=3)


def _enrolments(engine: Engine) -> list[tuple[int, str, str | None]]:
    with unit_of_work(engine.rt.sessions) as session:
        rows = session.query(Enrolment).order_by(Enrolment.id)
        return [(row.lead_id, row.status, row.exit_reason) for row in rows]


def test_no_consent_no_mail(engine: Engine, smtp_server: SmtpServer) -> None:
    """An entry event without a consent in the ledger enrols nobody and sends nothing."""
    write_campaign(engine.rt, THREE_STEPS)
    lead_id = add_lead(engine.rt, "noconsent@example.com", SIGNED_UP, purpose=None)
    with unit_of_work(engine.rt.sessions) as session:
        record_event(
            session, session.get(Lead, lead_id), "consent_confirmed", occurred_at=SIGNED_UP
        )
    add_lead(engine.rt, "pending@example.com", SIGNED_UP, confirm=False)  # no double opt-in
    engine.start_worker()
    engine.schedule(MONDAY)
    engine.drain()
    assert messages(engine.rt) == []
    assert smtp_server.messages == []


def test_withdrawn_or_suppressed_leads_get_nothing(engine: Engine, smtp_server: SmtpServer) -> None:
    """Withdrawn consent and the suppression list both keep a lead out."""
    write_campaign(engine.rt, THREE_STEPS)
    withdrawn = add_lead(engine.rt, "withdrawn@example.com", SIGNED_UP)
    withdraw(engine.rt, withdrawn, "newsletter", SIGNED_UP + timedelta(hours=1))
    suppressed = add_lead(engine.rt, "bounced@example.com", SIGNED_UP)
    suppress_lead(engine.rt, suppressed, "bounced", SIGNED_UP + timedelta(hours=1))
    engine.start_worker()
    engine.schedule(MONDAY)
    engine.drain()
    assert messages(engine.rt) == []
    assert smtp_server.messages == []


def test_withdrawal_after_queueing_wins(engine: Engine, smtp_server: SmtpServer) -> None:
    """A step already queued is not sent when consent is withdrawn before the worker runs."""
    write_campaign(engine.rt, THREE_STEPS)
    lead_id = add_lead(engine.rt, "changed-mind@example.com", SIGNED_UP)
    engine.schedule(MONDAY)  # the row is queued; no worker is running yet
    [row] = messages(engine.rt)
    assert row.status == "queued"
    withdraw(engine.rt, lead_id, "newsletter", MONDAY)
    engine.start_worker()
    engine.drain()
    [row] = messages(engine.rt)
    assert row.status == "suppressed"
    assert "consent" in (row.last_error or "")
    assert smtp_server.messages == []
    engine.schedule(MONDAY + timedelta(days=3))
    assert _enrolments(engine) == [(lead_id, "exited", "consent_withdrawn")]


def test_suppression_after_queueing_wins(engine: Engine, smtp_server: SmtpServer) -> None:
    """Suppressed between planning and sending: the row ends `suppressed`, nothing is sent."""
    write_campaign(engine.rt, THREE_STEPS)
    lead_id = add_lead(engine.rt, "complained@example.com", SIGNED_UP)
    engine.schedule(MONDAY)
    suppress_lead(engine.rt, lead_id, "complained", MONDAY)
    engine.start_worker()
    engine.drain()
    assert [row.status for row in messages(engine.rt)] == ["suppressed"]
    assert smtp_server.messages == []


def test_exit_event_stops_the_campaign(engine: Engine, smtp_server: SmtpServer) -> None:
    """After a `converted` event, the remaining steps are never planned."""
    write_campaign(engine.rt, THREE_STEPS)
    lead_id = add_lead(engine.rt, "buyer@example.com", SIGNED_UP)
    engine.start_worker()
    engine.schedule(MONDAY)
    engine.drain()
    with unit_of_work(engine.rt.sessions) as session:
        record_event(session, session.get(Lead, lead_id), "converted", occurred_at=MONDAY)
    for day in range(1, 6):
        engine.schedule(MONDAY + timedelta(days=day))
    engine.drain()
    assert [row.step_id for row in messages(engine.rt)] == ["one"]
    assert _enrolments(engine) == [(lead_id, "exited", "event:converted")]
    assert len(smtp_server.messages) == 1


def test_an_entry_event_committed_late_still_enrols(engine: Engine) -> None:
    """An event whose id was taken before a pass but committed after it still counts.

    (Ids come from a sequence at insert, not at commit: the cursor waits for recent ids
    to settle, so the id hidden from the first pass is read by the next.)
    """
    write_campaign(engine.rt, THREE_STEPS)
    slow = add_lead(engine.rt, "slow-transaction@example.com", SIGNED_UP)
    quick = add_lead(engine.rt, "quick@example.com", SIGNED_UP)  # a higher event id
    engine.hold_broker()
    with unit_of_work(engine.rt.sessions) as session:
        hidden = session.scalars(
            select(Event).where(Event.lead_id == slow, Event.type == "consent_confirmed")
        ).one()
        session.expunge(hidden)
        session.execute(delete(Event).where(Event.id == hidden.id))  # "not committed yet"
    engine.schedule(MONDAY)
    assert [lead for lead, _, _ in _enrolments(engine)] == [quick]
    with unit_of_work(engine.rt.sessions) as session:
        make_transient(hidden)
        session.add(hidden)  # its lower id, committed after the pass
    engine.schedule(MONDAY + timedelta(minutes=5))
    assert sorted(lead for lead, _, _ in _enrolments(engine)) == sorted([slow, quick])
