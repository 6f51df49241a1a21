"""Editing a live campaign: leads continue by step id; removed steps are never re-sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.pipeline import THREE_STEPS, Engine, add_lead, messages, write_campaign
from tests.smtp_server import SmtpServer

MONDAY = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)

EDITED = THREE_STEPS.replace(
    """  - id: two
    after: 2d
    subject: "Two"
    template: welcome/five_stages.html
""",
    "",
).replace(
    "steps:\n",
    """steps:
  - id: zero
    after: 0m
    subject: "Zero (new, before everyone's position)"
    template: welcome/hello.html
""",
)


def test_leads_mid_campaign_continue_by_step_id(engine: Engine, smtp_server: SmtpServer) -> None:
    """v1 = one, two, three; v2 = zero, one, three. Nobody gets zero; two is skipped."""
    path = write_campaign(engine.rt, THREE_STEPS)
    first = add_lead(engine.rt, "first@example.com", MONDAY - timedelta(days=1))
    engine.start_worker()
    engine.schedule(MONDAY)  # first: one
    engine.drain()
    second = add_lead(engine.rt, "second@example.com", MONDAY - timedelta(days=3))
    engine.schedule(MONDAY + timedelta(hours=1))  # second: one
    engine.schedule(MONDAY + timedelta(days=2, hours=1))  # both: two
    engine.drain()
    assert sorted((r.lead_id, r.step_id) for r in messages(engine.rt)) == sorted(
        [(first, "one"), (second, "one"), (first, "two"), (second, "two")]
    )

    path.write_text(EDITED)
    engine.schedule(MONDAY + timedelta(days=2, hours=2))
    for day in range(3, 8):
        engine.schedule(MONDAY + timedelta(days=day, hours=1))
    engine.drain()
    sent = sorted((r.lead_id, r.step_id) for r in messages(engine.rt))
    assert sent == sorted(
        [
            (first, "one"),
            (second, "one"),
            (first, "two"),
            (second, "two"),
            (first, "three"),
            (second, "three"),
        ]
    )
    assert len(smtp_server.messages) == 6


def test_a_removed_step_is_skipped_for_leads_before_it(engine: Engine) -> None:
    """A lead waiting for step two when two is removed goes on to three, never two."""
    path = write_campaign(engine.rt, THREE_STEPS)
    lead = add_lead(engine.rt, "waiting@example.com", MONDAY - timedelta(days=1))
    engine.start_worker()
    engine.schedule(MONDAY)
    engine.drain()
    path.write_text(THREE_STEPS.replace("id: two", "id: two-renamed"))
    path.write_text(EDITED)
    for day in range(1, 6):
        engine.schedule(MONDAY + timedelta(days=day, hours=1))
    engine.drain()
    assert [(r.lead_id, r.step_id) for r in messages(engine.rt)] == [
        (lead, "one"),
        (lead, "three"),
    ]


def test_a_step_queued_while_its_file_is_broken_waits_for_the_fix(engine: Engine) -> None:
    """A typo saved while step one is queued (or the file missing on a worker's machine):
    the message waits, queued and saying why, and goes out once the file loads again."""
    path = write_campaign(engine.rt, THREE_STEPS)
    add_lead(engine.rt, "patient@example.com", MONDAY - timedelta(days=1))
    engine.schedule(MONDAY)
    [row] = messages(engine.rt)
    engine.rt.campaigns.recheck_after = 0  # the sender sees each edit at once

    path.write_text(THREE_STEPS.replace("after: 2d", "after: two days"))
    outcome = engine.rt.sender.deliver(row.id)

    assert (outcome.status, outcome.retry_in) == ("held", timedelta(minutes=5))
    [held] = messages(engine.rt)
    assert (held.status, held.attempts) == ("queued", 0)
    assert "does not load" in (held.last_error or "")
    path.write_text(THREE_STEPS)
    assert engine.rt.sender.deliver(row.id).status == "sent"


def test_a_step_of_a_campaign_removed_for_good_is_cancelled(engine: Engine) -> None:
    """No file defines the campaign any more (while others load): its queued step is
    cancelled, saying why, instead of waiting for a file that will not come back."""
    path = write_campaign(engine.rt, THREE_STEPS)
    write_campaign(engine.rt, THREE_STEPS.replace("id: drip", "id: other"), name="other.yaml")
    add_lead(engine.rt, "late@example.com", MONDAY - timedelta(days=1))
    engine.schedule(MONDAY)
    row = next(r for r in messages(engine.rt) if r.campaign_id == "drip")
    engine.rt.campaigns.recheck_after = 0

    path.unlink()
    outcome = engine.rt.sender.deliver(row.id)

    assert (outcome.status, outcome.detail) == ("cancelled", "campaign 'drip' was removed")
