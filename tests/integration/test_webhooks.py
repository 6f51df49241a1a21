"""Outgoing webhooks: subscribed events arrive signed, failures are retried and logged."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from nurture.actors import WEBHOOK_QUEUE
from nurture.db import unit_of_work
from nurture.gdpr.erase import erase_lead
from nurture.gdpr.rectify import rectify
from nurture.handoff import webhook
from nurture.leads.capture import CaptureConsent, capture_lead
from nurture.leads.events import record_event
from nurture.models import Lead, WebhookDelivery
from nurture.runtime import Runtime
from nurture.webhooks import subscriptions
from nurture.webhooks.dispatch import redeliver
from nurture.webhooks.passes import WebhookPass
from tests.conftest import RuntimeFactory
from tests.integration.test_cli import run
from tests.pipeline import Engine, write_campaign
from tests.prospects import consented, make_site


@dataclass
class Receiver:
    """An HTTP endpoint answering the scripted statuses in turn (then 200)."""

    statuses: list[int] = field(default_factory=list)
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.requests.append((dict(self.headers.items()), body))
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b'{"ok": true}' if status < 300 else b"try later")

        def log_message(self, *_args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/nurture"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


NOW = datetime(2026, 4, 14, 10, 0, tzinfo=UTC)


def subscribe(rt: Runtime, url: str, events: list[str]) -> tuple[str, str]:
    with unit_of_work(rt.sessions) as session:
        row = subscriptions.add(session, url, events, "CRM")
        return row.public_id, row.secret


def new_lead(rt: Runtime, email: str) -> int:
    """A lead from the API with consent: lead_created and consent_granted events."""
    write_campaign(rt, "id: x\n")  # only for purposes.yaml
    purposes = rt.campaigns().purposes
    with unit_of_work(rt.sessions) as session:
        captured = capture_lead(
            session,
            {"email": email, "first_name": "Ana", "company": "Acme"},
            CaptureConsent("newsletter", "consent", "form /demo"),
            purposes=purposes,
            channel="api",
            default_source="api",
            suppression_key=rt.settings.suppression_key,
            now=NOW,
        )
        return captured.lead.id


def deliveries(rt: Runtime) -> list[WebhookDelivery]:
    with unit_of_work(rt.sessions) as session:
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def run_pass(rt: Runtime, sent: list[int]) -> list[str]:
    return WebhookPass(rt.sessions, sent.extend, rt.wall_clock).run(NOW)


def new_deliveries(rt: Runtime) -> list[WebhookDelivery]:
    """One pass; the deliveries it created."""
    ids: list[int] = []
    run_pass(rt, ids)
    return [row for row in deliveries(rt) if row.id in ids]


def deliver_new(rt: Runtime) -> None:
    """One pass, and every delivery it created posted: the receivers now hold the lead."""
    for row in new_deliveries(rt):
        rt.webhook_deliverer.deliver(row.id)


def test_subscribed_events_are_posted_signed(
    db_url: str, make_runtime: RuntimeFactory, receiver: Receiver
) -> None:
    """One delivery per subscribed event; the receiver can verify the HMAC signature."""
    rt = make_runtime(db_url)
    subscription, secret = subscribe(rt, receiver.url, ["lead_created", "consent_changed"])
    subscribe(rt, receiver.url, ["converted"])  # another subscription: nothing for it
    new_lead(rt, "ana@acme.example")
    enqueued: list[int] = []

    notes = run_pass(rt, enqueued)
    again = run_pass(rt, enqueued)  # events read again are not delivered twice

    assert notes == ["webhooks: 2 new deliveries"]
    assert again == []
    assert [(d.event, d.status) for d in deliveries(rt)] == [
        ("lead_created", "pending"),
        ("consent_changed", "pending"),
    ]
    for delivery_id in enqueued:
        assert rt.webhook_deliverer.deliver(delivery_id) is None
    assert [d.status for d in deliveries(rt)] == ["delivered", "delivered"]
    headers, body = receiver.requests[0]
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Nurture-Event"] == "lead_created"
    assert headers["X-Nurture-Delivery"] == deliveries(rt)[0].public_id
    stamp, signature = headers["X-Nurture-Timestamp"], headers["X-Nurture-Signature"]
    assert webhook.verify(secret, stamp, body, signature, datetime.now(UTC))
    assert not webhook.verify("another-secret", stamp, body, signature, datetime.now(UTC))
    payload = json.loads(body)
    assert payload["event"] == "lead_created"
    assert payload["lead"]["email"] == "ana@acme.example"
    assert payload["data"] == {"type": "lead_created"}
    consent = json.loads(receiver.requests[1][1])
    assert consent["data"] == {"type": "consent_granted", "purpose": "newsletter"}
    assert subscription


def test_failures_back_off_then_fail_and_can_be_redelivered(
    db_url: str, make_runtime: RuntimeFactory, receiver: Receiver
) -> None:
    """5xx and timeouts are retried with growing waits; the log keeps each outcome."""
    rt = make_runtime(db_url)
    subscribe(rt, receiver.url, ["lead_created"])
    new_lead(rt, "ana@acme.example")
    ids: list[int] = []
    run_pass(rt, ids)
    deliverer = rt.webhook_deliverer
    receiver.statuses = [500] * deliverer.max_attempts

    waits = []
    for _ in range(deliverer.max_attempts):
        waits.append(deliverer.deliver(ids[0]))
        with unit_of_work(rt.sessions) as session:  # the wait is over
            session.execute(update(WebhookDelivery).values(next_attempt_at=NOW))

    assert all(wait is not None for wait in waits[:-1])
    assert waits[-1] is None
    [row] = deliveries(rt)
    assert (row.status, row.attempts, row.response_code) == ("failed", 8, 500)
    assert row.last_error == "attempt 8: HTTP 500"
    assert row.response == "try later"
    assert deliverer.backoff(1) <= deliverer.min_backoff <= deliverer.backoff(3)

    with unit_of_work(rt.sessions) as session:
        assert redeliver(session, [row.public_id], datetime.now(UTC)) == ids
    assert deliverer.deliver(ids[0]) is None
    assert deliveries(rt)[0].status == "delivered"


def test_a_gone_receiver_stops_at_once(
    db_url: str, make_runtime: RuntimeFactory, receiver: Receiver
) -> None:
    """410 Gone is not retried; a removed subscription's pending deliveries fail visibly."""
    rt = make_runtime(db_url)
    subscription, _ = subscribe(rt, receiver.url, ["lead_created"])
    new_lead(rt, "a@acme.example")
    ids: list[int] = []
    run_pass(rt, ids)
    receiver.statuses = [410]
    assert rt.webhook_deliverer.deliver(ids[0]) is None
    assert deliveries(rt)[0].status == "failed"

    new_lead(rt, "b@acme.example")
    run_pass(rt, ids)
    with unit_of_work(rt.sessions) as session:
        subscriptions.remove(session, subscription)
    assert rt.webhook_deliverer.deliver(ids[-1]) is None
    assert (
        deliveries(rt)[-1].last_error
        == "the subscription was removed before this delivery went out"
    )
    assert len(receiver.requests) == 1


def test_the_actor_retries_until_the_receiver_recovers(engine: Engine, receiver: Receiver) -> None:
    """Through the broker: two 503s, then delivered by the actor's own delayed retries."""
    rt = engine.rt
    subscribe(rt, receiver.url, ["converted"])
    lead_id = new_lead(rt, "ana@acme.example")
    with unit_of_work(rt.sessions) as session:
        record_event(session, session.get_one(Lead, lead_id), "converted", occurred_at=NOW)
    receiver.statuses = [503, 503]
    engine.start_worker()

    engine.schedule(NOW + timedelta(minutes=1))
    rt.broker.join(WEBHOOK_QUEUE, timeout=30_000)

    [row] = deliveries(rt)
    assert (row.event, row.status, row.attempts) == ("converted", "delivered", 3)
    assert len(receiver.requests) == 3
    assert {headers["X-Nurture-Delivery"] for headers, _ in receiver.requests} == {row.public_id}


@pytest.mark.parametrize(
    ("url", "events", "message"),
    [
        ("http://crm.example/hook", ["lead_created"], "use https://"),
        ("ftp://crm.example/hook", ["lead_created"], r"not an http\(s\) URL"),
        ("https://user:pw@crm.example/hook", ["lead_created"], "no credentials"),
        ("https://crm.example/hook", ["lead_deleted"], "unknown event type 'lead_deleted'"),
        ("https://crm.example/hook", [], "no event type given"),
    ],
)
def test_bad_subscriptions_are_refused(
    db_url: str, make_runtime: RuntimeFactory, url: str, events: list[str], message: str
) -> None:
    """Plain http (except to this machine), credentials in URLs and unknown types."""
    rt = make_runtime(db_url)
    with (
        unit_of_work(rt.sessions) as session,
        pytest.raises(subscriptions.SubscriptionError, match=message),
    ):
        subscriptions.add(session, url, events, None)


def test_an_erasure_before_delivery_leaves_no_personal_data(
    db_url: str, make_runtime: RuntimeFactory, receiver: Receiver
) -> None:
    """The log keeps no lead data; what is sent after an erasure names nobody."""
    rt = make_runtime(db_url)
    subscribe(rt, receiver.url, ["lead_created"])
    new_lead(rt, "ana@acme.example")
    ids: list[int] = []
    run_pass(rt, ids)
    with unit_of_work(rt.sessions) as session:
        lead = session.scalars(select(Lead)).one()
        erase_lead(session, lead, rt.settings.suppression_key, NOW, actor="test", via="cli")
    [row] = deliveries(rt)
    assert "ana" not in json.dumps(row.payload)
    assert row.lead_id is None

    assert rt.webhook_deliverer.deliver(ids[0]) is None
    sent = json.loads(receiver.requests[0][1])
    assert (sent["lead"], sent["data"]) == (None, {"type": "lead_created"})


def test_a_correction_reaches_every_receiver_that_holds_the_lead(
    db_url: str, make_runtime: RuntimeFactory, receiver: Receiver
) -> None:
    """GDPR art. 19: a receiver that got the lead is told of its correction, subscribed to
    `lead_corrected` or not; one that never got it hears nothing (it would be news)."""
    rt = make_runtime(db_url)
    subscribe(rt, receiver.url, ["lead_created"])
    subscribe(rt, receiver.url, ["converted"])
    lead_id = new_lead(rt, "ana@acme.example")
    deliver_new(rt)
    with unit_of_work(rt.sessions) as session:
        form = {"first_name": "Anna", "company": "Acme"}
        rectify(session, session.get_one(Lead, lead_id), form, via="link", now=NOW)

    [correction] = new_deliveries(rt)
    assert (correction.event, correction.subscription_id) == ("lead_corrected", 1)
    assert rt.webhook_deliverer.deliver(correction.id) is None
    told = json.loads(receiver.requests[-1][1])
    assert told["lead"]["first_name"] == "Anna"
    assert told["data"] == {"type": "data_rectified", "fields": ["first_name"]}


def test_a_restriction_reaches_holders_without_the_profile(
    db_url: str, make_runtime: RuntimeFactory, receiver: Receiver
) -> None:
    """GDPR art. 19 for art. 18: receivers holding the lead hear of the restriction, with
    the lead's id only (passing the profile on would be processing it); so does every
    delivery while it holds. Lifting it is told too, and the profile comes back."""
    rt = make_runtime(db_url)
    site = make_site(rt)
    subscribe(rt, receiver.url, ["consent_changed"])
    lead = consented(site, "rita@example.com")
    deliver_new(rt)
    prefs = "/p/" + rt.tokens.sign("preferences", lead.public_id)
    form = {"purposes": ["newsletter"], "pause": "0"}

    told = []
    for restricted in (True, False):
        choice = {"restricted": "on"} if restricted else {}
        site.client.post(prefs, data={**form, **choice, "csrf_token": site.csrf(prefs)})
        [delivery] = new_deliveries(rt)
        assert delivery.event == "lead_restricted"
        assert rt.webhook_deliverer.deliver(delivery.id) is None
        told.append(json.loads(receiver.requests[-1][1]))

    assert told[0]["lead"] == {"id": lead.public_id}
    assert told[0]["data"] == {"type": "processing_restricted"}
    assert b"rita@example.com" not in receiver.requests[-2][1]
    assert told[1]["lead"]["email"] == "rita@example.com"
    assert told[1]["data"] == {"type": "restriction_lifted"}


def test_a_restricted_leads_correction_goes_out_without_its_score(
    db_url: str, make_runtime: RuntimeFactory, receiver: Receiver
) -> None:
    """Art. 19 owes the correction even while processing is restricted; not the score."""
    rt = make_runtime(db_url)
    site = make_site(rt)
    subscribe(rt, receiver.url, ["consent_changed"])
    lead = consented(site, "rosa@example.com")
    deliver_new(rt)
    with unit_of_work(rt.sessions) as session:
        restricted = session.get_one(Lead, lead.id)
        restricted.restricted_at = NOW
        rectify(session, restricted, {"first_name": "Rosa"}, via="link", now=NOW)
    [correction] = [d for d in new_deliveries(rt) if d.event == "lead_corrected"]
    rt.webhook_deliverer.deliver(correction.id)
    told = json.loads(receiver.requests[-1][1])
    assert told["lead"]["first_name"] == "Rosa"
    assert not {"score", "temperature", "stage"} & set(told["lead"])


def test_a_new_subscription_does_not_replay_history(
    db_url: str, make_runtime: RuntimeFactory, receiver: Receiver
) -> None:
    """Only events recorded after subscribing are sent, even before the first pass."""
    rt = make_runtime(db_url)
    new_lead(rt, "old@acme.example")
    subscribe(rt, receiver.url, ["lead_created"])
    new_lead(rt, "new@acme.example")

    run_pass(rt, [])

    assert [row.lead_id for row in deliveries(rt)] == [2]


def test_the_webhooks_command(tmp_path: Path) -> None:
    """add prints the secret once; list, deliveries, remove; bad input exits 1."""
    assert run(tmp_path, "db", "upgrade").returncode == 0
    added = run(tmp_path, "webhooks", "add", "https://crm.example/hook", "--events",
                "lead_created,converted", "--description", "CRM")  # fmt: skip
    assert added.returncode == 0, added.stderr
    public_id = added.stdout.split()[1].rstrip(":")
    assert "signing secret (shown once, keep it with the receiver): whsec_" in added.stdout
    listed = run(tmp_path, "webhooks", "list")
    assert f"{public_id}  https://crm.example/hook  lead_created, converted" in listed.stdout
    assert "whsec_" not in listed.stdout
    assert run(tmp_path, "webhooks", "deliveries").returncode == 0
    assert run(tmp_path, "webhooks", "remove", public_id).returncode == 0
    assert "(removed)" in run(tmp_path, "webhooks", "list").stdout
    bad = run(tmp_path, "webhooks", "add", "http://crm.example/hook", "--events", "converted")
    assert bad.returncode == 1
    assert "use https://" in bad.stderr


def test_a_sign_up_nobody_confirmed_reaches_no_receiver_until_confirmed(
    db_url: str, make_runtime: RuntimeFactory, receiver: Receiver
) -> None:
    """Anyone can type a stranger's name and address into /subscribe: its events wait,
    uncounted, and go out once the person confirms (or never, if the lead is purged)."""
    rt = make_runtime(db_url)
    site = make_site(rt)
    subscribe(rt, receiver.url, ["lead_created", "consent_changed"])
    token = site.csrf("/subscribe")
    form = {"csrf_token": token, "email": "stranger@example.com", "first_name": "Sam"}
    assert (
        site.client.post("/subscribe", data={**form, "purposes": ["newsletter"]}).status_code == 200
    )

    waiting = new_deliveries(rt)
    for row in waiting:
        assert rt.webhook_deliverer.deliver(row.id) == timedelta(hours=1)
    assert receiver.requests == []
    assert [(d.event, d.status, d.attempts) for d in deliveries(rt)] == [
        ("lead_created", "pending", 0),
        ("consent_changed", "pending", 0),
    ]
    assert "waiting for the person to confirm" in (deliveries(rt)[0].last_error or "")

    lead = site.lead("stranger@example.com")
    assert lead is not None
    confirm = "/confirm/" + rt.tokens.sign("confirm", [lead.public_id, ["newsletter"]])
    site.client.post(confirm, data={"csrf_token": site.csrf(confirm)})
    with unit_of_work(rt.sessions) as session:  # the next attempt is due
        session.execute(update(WebhookDelivery).values(next_attempt_at=None))
    for row in waiting:
        assert rt.webhook_deliverer.deliver(row.id) is None
    deliver_new(rt)  # consent_confirmed
    assert [json.loads(body)["event"] for _, body in receiver.requests] == [
        "lead_created",
        "consent_changed",
        "consent_changed",
    ]
    assert json.loads(receiver.requests[0][1])["lead"]["first_name"] == "Sam"
