"""Hand-off to sales on SQLite and PostgreSQL: push by round robin, pull, accept, reject,
speed-to-lead recall, closing, and the delivery log (webhook and owner email)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from nurture.clock import FixedClock
from nurture.db import unit_of_work
from nurture.handoff.pool import Sales, SalesError, accept, claim, find_open, reject
from nurture.handoff.sla import check_sla
from nurture.handoff.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from nurture.runtime import Runtime
from tests.conftest import RuntimeFactory
from tests.handoff_support import (
    add_events,
    deliveries,
    event_types,
    handoffs,
    http_receiver,
    lead,
    write_rules,
)
from tests.pipeline import add_lead
from tests.smtp_server import SmtpServer

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
SECRET = "crm-shared-secret"


def runtime(
    make_runtime: RuntimeFactory, db_url: str, mode: str = "push", **settings: object
) -> Runtime:
    rt = make_runtime(db_url, handoff_webhook_secret=SECRET, **settings)
    write_rules(rt, mode=mode)
    rt.clock = FixedClock(T0)
    return rt


def hot_lead(rt: Runtime, email: str, country: str = "ES") -> int:
    """Three replies: 60 engagement + 10 fit = 70, hot, handed over at once."""
    lead_id = add_lead(rt, email, T0 - timedelta(days=1), country=country)
    add_events(rt, lead_id, T0, "email_replied", "email_replied", "email_replied")
    rt.scorer.update([lead_id])
    return lead_id


def sales(rt: Runtime, at: datetime = T0) -> Sales:
    return Sales(rt.scoring().require(), at)


def test_push_assigns_owners_by_round_robin(make_runtime: RuntimeFactory, db_url: str) -> None:
    """Four hot leads: ana, ben, ana, ben; each owner gets an email delivery row."""
    rt = runtime(make_runtime, db_url)
    ids = [hot_lead(rt, f"hot{n}@example.com") for n in range(4)]
    assert [lead(rt, lead_id).owner for lead_id in ids] == ["ana", "ben", "ana", "ben"]
    assert [(h.status, h.rep_id, h.reason) for h in handoffs(rt)] == [
        ("assigned", rep, "temperature hot") for rep in ("ana", "ben", "ana", "ben")
    ]
    assert event_types(rt, ids[0], "handoff_") == ["handoff_assigned"]
    assert [(d.channel, d.target, d.status) for d in deliveries(rt)] == [
        ("email", f"{rep}@acme.example", "pending") for rep in ("ana", "ben", "ana", "ben")
    ]
    rt.scorer.update(ids)  # still hot: the open hand-off is not repeated
    assert len(handoffs(rt)) == 4


def test_full_reps_leave_the_lead_in_the_pool(make_runtime: RuntimeFactory, db_url: str) -> None:
    """Territory first, capacity respected; nobody free: pooled, saying why."""
    rt = runtime(make_runtime, db_url)
    path = rt.settings.campaigns_dir / "scoring.yaml"
    path.write_text(
        path.read_text()
        .replace("{id: ana, name: Ana,", "{id: ana, name: Ana, countries: [PT], max_open: 1,")
        .replace("{id: ben, name: Ben,", "{id: ben, name: Ben, max_open: 1,")
    )
    first, second, third = (hot_lead(rt, f"{n}@example.com", "PT") for n in ("a", "b", "c"))
    assert [lead(rt, i).owner for i in (first, second, third)] == ["ana", "ben", None]
    assert handoffs(rt)[-1].status == "pooled"
    assert event_types(rt, third, "handoff_") == ["handoff_pooled"]


def test_pull_claim_then_accept(make_runtime: RuntimeFactory, db_url: str) -> None:
    """Pull: the lead waits in the pool until a rep claims and accepts it."""
    rt = runtime(make_runtime, db_url, mode="pull")
    lead_id = hot_lead(rt, "pool@example.com")
    [handoff] = handoffs(rt)
    assert (handoff.status, handoff.rep_id, lead(rt, lead_id).owner) == ("pooled", None, None)
    with unit_of_work(rt.sessions) as session:
        found = find_open(session, email="POOL@example.com")
        claim(session, sales(rt), found, "ben")
    with unit_of_work(rt.sessions) as session:
        found = find_open(session, handoff_id=handoff.public_id)
        with pytest.raises(SalesError, match="belongs to ben"):
            accept(session, sales(rt), found, "ana")
        accept(session, sales(rt), found, "ben")
    [handoff] = handoffs(rt)
    assert (handoff.status, handoff.rep_id, lead(rt, lead_id).owner) == ("accepted", "ben", "ben")
    assert event_types(rt, lead_id, "handoff_") == ["handoff_pooled", "handoff_claimed"]
    assert "sales_accepted" in event_types(rt, lead_id)


def test_reject_returns_the_lead_to_nurture(make_runtime: RuntimeFactory, db_url: str) -> None:
    """A rejection: no owner, stage back to MQL, the reason weighs (-30), no quick return."""
    rt = runtime(make_runtime, db_url)
    lead_id = hot_lead(rt, "nope@example.com")
    assert lead(rt, lead_id).lifecycle_stage == "sql"
    with unit_of_work(rt.sessions) as session:
        found = find_open(session, email="nope@example.com")
        with pytest.raises(SalesError, match="say why"):
            reject(session, sales(rt), found, "  ", None)
        reject(session, sales(rt), found, "not ready this quarter", None)
    person = lead(rt, lead_id)
    assert (person.owner, person.lifecycle_stage, person.score) == (None, "mql", 40)
    assert person.temperature == "warm"
    [handoff] = handoffs(rt)
    assert (handoff.status, handoff.reject_reason) == ("rejected", "not ready this quarter")
    assert {"sales_rejected", "became_mql", "became_warm"} <= set(event_types(rt, lead_id))
    add_events(rt, lead_id, T0, "email_clicked", "email_clicked", "email_clicked")
    rt.scorer.update([lead_id])  # hot again, but held back for 30 days
    assert lead(rt, lead_id).temperature == "hot"
    assert len(handoffs(rt)) == 1
    assert isinstance(rt.clock, FixedClock)
    rt.clock.advance(timedelta(days=31))
    add_events(
        rt, lead_id, T0 + timedelta(days=31), "email_replied", "email_replied", "email_replied"
    )
    rt.scorer.update([lead_id])
    assert [h.status for h in handoffs(rt)] == ["rejected", "assigned"]


def test_untouched_leads_are_recalled_after_the_sla(
    make_runtime: RuntimeFactory, db_url: str
) -> None:
    """4 h without accept or reject: back to the pool and reported; the pool reports once."""
    rt = runtime(make_runtime, db_url)
    lead_id = hot_lead(rt, "slow@example.com")
    config = rt.scoring().require().handoff
    assert config is not None
    with unit_of_work(rt.sessions) as session:
        assert check_sla(session, config, T0 + timedelta(hours=3, minutes=59)).lines() == []
    with unit_of_work(rt.sessions) as session:
        report = check_sla(session, config, T0 + timedelta(hours=4, minutes=1))
    [handoff] = handoffs(rt)
    assert report.lines() == [f"recalled to the pool (SLA): {handoff.public_id} from ana"]
    assert (handoff.status, handoff.rep_id, handoff.recalls) == ("pooled", None, 1)
    assert lead(rt, lead_id).owner is None
    assert event_types(rt, lead_id, "handoff_") == ["handoff_assigned", "handoff_recalled"]
    notes = rt.scoring_pass().run(T0 + timedelta(hours=8, minutes=2))
    assert f"waiting in the pool past the SLA: {handoff.public_id}" in notes
    assert rt.scoring_pass().run(T0 + timedelta(hours=9)) == []  # reported once


def test_a_rep_who_let_a_lead_run_past_the_sla_is_not_next_in_turn(
    make_runtime: RuntimeFactory, db_url: str
) -> None:
    """Ana's lead is recalled; the next lead goes to Ben, who has had none yet: a recall
    takes the lead away, not Ana's turn."""
    rt = runtime(make_runtime, db_url)
    first = hot_lead(rt, "slow@example.com")
    config = rt.scoring().require().handoff
    assert config is not None
    with unit_of_work(rt.sessions) as session:
        check_sla(session, config, T0 + timedelta(hours=4, minutes=1))
    assert lead(rt, first).owner is None
    rt.clock = FixedClock(T0 + timedelta(hours=5))

    second = hot_lead(rt, "next@example.com")

    assert lead(rt, second).owner == "ben"


def test_a_customer_closes_the_hand_off(make_runtime: RuntimeFactory, db_url: str) -> None:
    """Converted: the lead is a customer and its open hand-off is closed."""
    rt = runtime(make_runtime, db_url)
    lead_id = hot_lead(rt, "buyer@example.com")
    add_events(rt, lead_id, T0, "converted")
    rt.scorer.update([lead_id])
    [handoff] = handoffs(rt)
    assert (handoff.status, handoff.close_reason) == ("closed", "became a customer")
    assert lead(rt, lead_id).lifecycle_stage == "customer"


def test_webhook_is_signed_retried_and_logged(make_runtime: RuntimeFactory, db_url: str) -> None:
    """A 500 then a 200: two attempts, the second delivered, both validly signed."""
    with http_receiver() as crm:
        rt = make_runtime(db_url, handoff_webhook_secret=SECRET)
        write_rules(rt, webhook=crm.url)
        rt.clock = FixedClock(T0)
        crm.statuses = [500]
        lead_id = hot_lead(rt, "crm@example.com")
        webhook = next(d for d in deliveries(rt) if d.channel == "webhook")
        retry_in = rt.handoff_deliverer.deliver(webhook.id)
        assert retry_in is not None
        assert rt.handoff_deliverer.deliver(webhook.id) is None  # leased until the retry is due
        rt.wall_clock = FixedClock(datetime.now(UTC) + retry_in + timedelta(seconds=2))
        rt.__dict__.pop("handoff_deliverer")
        assert rt.handoff_deliverer.deliver(webhook.id) is None
    row = next(d for d in deliveries(rt) if d.channel == "webhook")
    assert (row.status, row.attempts, row.response_code) == ("delivered", 2, 200)
    assert row.last_error == "attempt 1: HTTP 500: ok"
    assert len(crm.posts) == 2
    for post in crm.posts:
        stamp, signature = post.headers[TIMESTAMP_HEADER], post.headers[SIGNATURE_HEADER]
        assert verify(SECRET, stamp, post.body, signature, datetime.fromtimestamp(int(stamp), UTC))
        assert post.headers["X-Nurture-Delivery"] == row.public_id
    body = json.loads(crm.posts[-1].body)
    assert body["event"] == "lead.assigned"
    assert body["owner"] == {"id": "ana", "name": "Ana", "email": "ana@acme.example"}
    assert body["lead"]["email"] == "crm@example.com"
    assert body["score"] == {
        "total": 70,
        "fit": 10,
        "engagement": 60,
        "temperature": "hot",
        "stage": "sql",
    }
    assert body["lead"]["id"] == lead(rt, lead_id).public_id


def test_webhook_gives_up_after_max_attempts(make_runtime: RuntimeFactory, db_url: str) -> None:
    """Three refusals: `failed`, with the last error; redeliver gives it more attempts."""
    with http_receiver() as crm:
        rt = make_runtime(db_url, handoff_webhook_secret=SECRET)
        write_rules(rt, webhook=crm.url)
        rt.clock = FixedClock(T0)
        crm.statuses = [503, 503, 503]
        hot_lead(rt, "down@example.com")
        webhook = next(d for d in deliveries(rt) if d.channel == "webhook")
        moment = datetime.now(UTC)
        for _ in range(3):
            rt.__dict__.pop("handoff_deliverer", None)
            rt.wall_clock = FixedClock(moment)
            rt.handoff_deliverer.deliver(webhook.id)
            moment += timedelta(hours=2)
    row = next(d for d in deliveries(rt) if d.channel == "webhook")
    assert (row.status, row.attempts, row.response_code) == ("failed", 3, 503)
    assert row.last_error == "attempt 3: HTTP 503: ok"


def test_owner_email_goes_through_the_transport(
    make_runtime: RuntimeFactory, db_url: str, smtp_server: SmtpServer
) -> None:
    """The rep receives a plain internal mail naming the lead, the score and what to do."""
    rt = make_runtime(db_url, smtp_url=smtp_server.url)
    write_rules(rt)
    rt.clock = FixedClock(T0)
    hot_lead(rt, "rep-mail@example.com")
    [email] = deliveries(rt)
    assert rt.handoff_deliverer.deliver(email.id) is None
    [received] = smtp_server.messages
    assert received.rcpt_tos == ["ana@acme.example"]
    message = received.parse()
    assert message["Subject"] == "New lead for you: rep-mail@example.com, score 70"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe"] is None
    text = message.get_body(("plain",))
    assert text is not None
    assert "nurture sales accept rep-mail@example.com" in text.get_content()
    [row] = deliveries(rt)
    assert (row.status, row.attempts, row.response_code) == ("delivered", 1, 250)
