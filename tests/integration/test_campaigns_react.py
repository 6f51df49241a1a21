"""Campaigns react to scores: a lead turning hot leaves the nurture series and starts the
sales-ready one (entry on `became_hot`, `exit: temperature`, `if: score_at_least`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from nurture.actors import SCORE_QUEUE
from nurture.clock import FixedClock
from nurture.db import unit_of_work
from nurture.models import Enrolment
from tests.handoff_support import add_events, event_types, write_rules
from tests.pipeline import Engine, add_lead, messages, write_campaign

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)  # a Monday

NURTURE = """
id: nurture
name: Nurture
purpose: newsletter
sender: "Acme <news@acme.example>"
entry: {on: consent_confirmed}
exit: {temperature: hot}
steps:
  - {id: one, after: 0m, subject: "One", template: welcome/hello.html}
  - {id: two, after: 2d, subject: "Two", template: welcome/five_stages.html}
"""

SALES_READY = """
id: sales-ready
name: Sales ready
purpose: newsletter
sender: "Acme <sales@acme.example>"
entry: {on: became_hot}
steps:
  - id: call-offer
    after: 0m
    if: {score_at_least: 60}
    subject: "Shall we talk?"
    template: welcome/trial.html
"""


def test_turning_hot_starts_the_sales_ready_campaign(engine: Engine) -> None:
    """Replies → score actor → became_hot → sales-ready sends; nurture exits, no step two."""
    rt = engine.rt
    rt.clock = FixedClock(T0)
    write_rules(rt, mode="pull")
    write_campaign(rt, NURTURE, "nurture.yaml")
    write_campaign(rt, SALES_READY, "sales-ready.yaml")
    lead_id = add_lead(rt, "warm@example.com", T0, country="ES")
    engine.start_worker()
    engine.schedule(T0 + timedelta(minutes=5))
    engine.drain()
    assert [(m.campaign_id, m.step_id) for m in messages(rt)] == [("nurture", "one")]

    add_events(rt, lead_id, T0 + timedelta(hours=1), *["email_replied"] * 3)
    rt.clock = FixedClock(T0 + timedelta(hours=1))
    rt.__dict__.pop("scorer", None)  # the actor reads the new clock
    rt.actors.enqueue_score_updates([lead_id])
    rt.broker.join(SCORE_QUEUE, timeout=30_000)
    assert engine.worker is not None
    engine.worker.join()
    assert "became_hot" in event_types(rt, lead_id, "became_")

    engine.schedule(T0 + timedelta(hours=1, minutes=1))
    engine.drain()
    assert [(m.campaign_id, m.step_id, m.status) for m in messages(rt)] == [
        ("nurture", "one", "sent"),
        ("sales-ready", "call-offer", "sent"),
    ]
    engine.schedule(T0 + timedelta(days=2, hours=1))  # step two's turn: the exit wins
    engine.drain()
    assert len(messages(rt)) == 2
    with unit_of_work(rt.sessions) as session:
        states = dict(session.execute(select(Enrolment.campaign_id, Enrolment.exit_reason)).all())
    assert states == {"nurture": "temperature", "sales-ready": None}
