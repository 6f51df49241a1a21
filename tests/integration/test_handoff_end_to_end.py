"""From a tracked mail to a sales rep, on PostgreSQL, Redis and a real SMTP server.

Pixel and click through the Flask app → classified events → the drainer asks for score
updates → the score actor makes the leads hot → owners by round robin, an email to each
owner and a signed webhook to a local CRM receiver → a rejection through the API sends
the lead back to nurture; the campaign branch that depends on the click takes the right
path.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from nurture.actors import HANDOFF_QUEUE, SCORE_QUEUE
from nurture.clock import FixedClock
from nurture.handoff.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from nurture.runtime import Runtime
from nurture.web import create_app
from tests.handoff_support import (
    Receiver,
    add_events,
    event_types,
    handoffs,
    lead,
    write_rules,
)
from tests.pipeline import Engine, add_lead, write_campaign
from tests.smtp_server import SmtpServer
from tests.tracking_support import allow_tracking, click_paths, pixel_paths, visit

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)  # a Monday morning
SECRET = "crm-webhook-secret"
TARGET = "https://acme.example/downloads/prospect-sheet"

BRANCH = """
id: drip
name: Branch on a click
purpose: newsletter
sender: "Acme News <news@acme.example>"
entry:
  on: consent_confirmed
steps:
  - {id: hello, after: 0m, subject: "Hello", template: welcome/hello.html}
  - id: clicked
    after: 1d
    if: {clicked: hello}
    subject: "You clicked"
    template: welcome/five_stages.html
  - id: ignored
    after: 0m
    if: {not_clicked: hello}
    subject: "You did not click"
    template: welcome/trial.html
"""


def settle(engine: Engine) -> None:
    """Wait until scoring and hand-off deliveries have run (and what they enqueued)."""
    assert engine.worker is not None
    for _ in range(3):
        for queue in (SCORE_QUEUE, HANDOFF_QUEUE):
            engine.rt.broker.join(queue, timeout=30_000)
        engine.worker.join()


def mail_to(smtp_server: SmtpServer, address: str, subject: str) -> str:
    for received in smtp_server.messages:
        message = received.parse()
        if received.rcpt_tos == [address] and message["Subject"].startswith(subject):
            body = message.get_body(preferencelist=("html", "plain"))
            assert body is not None
            return str(body.get_content())
    raise AssertionError(f"no {subject!r} mail to {address}")


def subjects(smtp_server: SmtpServer, address: str) -> list[str]:
    return [m.parse()["Subject"] for m in smtp_server.messages if m.rcpt_tos == [address]]


def prospect(rt: Runtime, email: str) -> int:
    lead_id = add_lead(rt, email, T0 - timedelta(days=1), country="ES")
    allow_tracking(rt, lead_id, T0 - timedelta(days=1))
    return lead_id


@pytest.mark.parametrize("engine", ["postgresql+redis"], indirect=True)
def test_a_tracked_click_ends_with_a_rep_and_a_signed_webhook(
    engine: Engine, smtp_server: SmtpServer, crm: Receiver
) -> None:
    """Lucía engages (open, click, replies) and Marco replies: both hot, ana then ben."""
    rt = engine.rt
    rt.settings = rt.settings.with_overrides(
        tracking_drain_interval=0, handoff_webhook_secret=SECRET, api_keys=("sales-key",)
    )
    clock = FixedClock(T0)
    rt.clock = rt.wall_clock = clock
    write_rules(rt, mode="push", webhook=crm.url)
    write_campaign(rt, BRANCH)
    lucia, marco = prospect(rt, "lucia@example.com"), prospect(rt, "marco@example.com")
    engine.start_worker()
    engine.schedule(T0)
    engine.drain()

    # An hour later Lucía opens the mail and clicks the download, through the app.
    clock.advance(timedelta(hours=1))
    client = create_app(rt).test_client()
    html = mail_to(smtp_server, "lucia@example.com", "Hello")
    assert visit(client, pixel_paths(html)[0]).data.startswith(b"GIF89a")
    click = visit(client, click_paths(html)[0])
    assert (click.status_code, click.headers["Location"]) == (302, TARGET)
    assert rt.tracking.drainer.drain().failed == []
    settle(engine)
    assert lead(rt, lucia).score == 25  # fit 10 + open 5 + click 10: the score moved
    assert lead(rt, lucia).temperature == "cold"

    # Replies come in through the API side (record + the enqueue hook).
    clock.advance(timedelta(minutes=30))
    add_events(rt, lucia, clock.now(), "email_replied", "email_replied")
    rt.actors.enqueue_score_updates([lucia])
    settle(engine)
    add_events(rt, marco, clock.now(), "email_replied", "email_replied", "email_replied")
    rt.actors.enqueue_score_updates([marco])
    settle(engine)

    assert [(lead(rt, i).score, lead(rt, i).temperature) for i in (lucia, marco)] == [
        (65, "hot"),
        (70, "hot"),
    ]
    assert [lead(rt, i).owner for i in (lucia, marco)] == ["ana", "ben"]  # round robin
    assert "became_hot" in event_types(rt, lucia, "became_")
    assert "lucia@example.com" in mail_to(smtp_server, "ana@acme.example", "New lead for you")
    assert "marco@example.com" in mail_to(smtp_server, "ben@acme.example", "New lead for you")

    # The CRM got one signed webhook per hand-off.
    assert len(crm.posts) == 2
    for post in crm.posts:
        stamp = post.headers[TIMESTAMP_HEADER]
        assert verify(SECRET, stamp, post.body, post.headers[SIGNATURE_HEADER], clock.now())
    first = json.loads(crm.posts[0].body)
    assert (first["event"], first["owner"]["id"], first["lead"]["email"]) == (
        "lead.assigned",
        "ana",
        "lucia@example.com",
    )

    # Ana rejects Lucía with a reason: back to nurture, and the CRM hears about it.
    handoff = next(h for h in handoffs(rt) if h.lead_id == lucia)
    response = client.post(
        f"/api/sales/handoffs/{handoff.public_id}/reject",
        json={"reason": "not_ready", "rep": "ana"},
        headers={"Authorization": "Bearer sales-key"},
    )
    assert response.get_json() == {"handoff": handoff.public_id, "status": "rejected"}
    settle(engine)
    back = lead(rt, lucia)
    assert (back.owner, back.lifecycle_stage, back.temperature, back.score) == (
        None,
        "mql",
        "warm",
        35,
    )
    assert json.loads(crm.posts[-1].body)["event"] == "lead.rejected"

    # The campaign: Lucía clicked, Marco did not.
    engine.schedule(T0 + timedelta(days=1, hours=2))
    engine.drain()
    assert subjects(smtp_server, "lucia@example.com") == ["Hello", "You clicked"]
    assert subjects(smtp_server, "marco@example.com") == ["Hello", "You did not click"]
