"""A consented lead receives every step of a campaign, on time, as standards-correct mail."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.pipeline import THREE_STEPS, Engine, add_lead, hourly, messages, write_campaign
from tests.smtp_server import SmtpServer

# Friday 21:00 in Madrid, outside the weekday 09:00-17:00 window; DST starts on Sunday.
SIGNED_UP = datetime(2026, 3, 27, 20, 0, tzinfo=UTC)


def test_three_steps_arrive_at_the_right_times(engine: Engine, smtp_server: SmtpServer) -> None:
    """Step one waits for Monday 09:00 CEST, then +2 days, then +1 day; one mail each."""
    write_campaign(engine.rt, THREE_STEPS)
    add_lead(
        engine.rt, "lucia@example.com", SIGNED_UP, first_name="Lucía", timezone="Europe/Madrid"
    )
    engine.start_worker()
    for now in hourly(SIGNED_UP, datetime(2026, 4, 6, tzinfo=UTC)):
        engine.schedule(now)
        engine.drain()

    rows = messages(engine.rt)
    assert [(row.step_id, row.status) for row in rows] == [
        ("one", "sent"),
        ("two", "sent"),
        ("three", "sent"),
    ]
    assert [row.scheduled_for for row in rows] == [
        datetime(2026, 3, 30, 7, 0, tzinfo=UTC),  # Monday 09:00 Madrid (CEST, UTC+2)
        datetime(2026, 4, 1, 7, 0, tzinfo=UTC),
        datetime(2026, 4, 2, 7, 0, tzinfo=UTC),
    ]
    received = smtp_server.messages
    assert [m.parse()["Subject"] for m in received] == ["One for Lucía", "Two", "Three"]
    assert all(m.rcpt_tos == ["lucia@example.com"] for m in received)


def test_every_message_is_standards_correct(engine: Engine, smtp_server: SmtpServer) -> None:
    """Parsed with email.parser: no defects, and every header the contract promises."""
    write_campaign(engine.rt, THREE_STEPS)
    add_lead(engine.rt, "emma@example.net", SIGNED_UP, first_name="Emma")
    engine.start_worker()
    engine.schedule(datetime(2026, 3, 30, 8, 0, tzinfo=UTC))
    engine.drain()

    [received] = smtp_server.messages
    message = received.parse()
    assert message.defects == []
    assert all(part.defects == [] for part in message.walk())
    assert message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    for header in ("Date", "From", "To", "Subject", "Message-ID", "MIME-Version"):
        assert message[header], header
    assert message["From"] == "Acme News <news@acme.example>"
    assert message["Reply-To"] == "hello@acme.example"
    unsubscribe = message["List-Unsubscribe"]
    assert unsubscribe.startswith("<https://nurture.test.example/u/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [row] = messages(engine.rt)
    assert message["Message-ID"] == f"<{row.public_id}@acme.example>"
    postal = engine.rt.settings.postal_address
    assert postal is not None
    for part in message.iter_parts():
        body = part.get_content()
        assert postal in body
        assert unsubscribe.strip("<>") in body
        assert "https://nurture.test.example/p/" in body  # the preference centre
    assert "lead" not in received.mail_from  # the envelope sender is the campaign's
