"""GDPR art. 19: an erased lead's recipients — the CRM and webhook subscribers — are told.

End to end: a hot lead is handed to the CRM (signed webhook) and a subscriber receives
its `lead_created`; the person erases themselves on the my-data page; both receivers get
a signed notice naming only the hand-off and delivery ids they already hold, and the
notice log outlives the lead without a trace of the person. Then the failure paths:
retries, 410, a removed subscription, a missing secret, a lost broker message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from nurture.actors import HANDOFF_QUEUE, SCORE_QUEUE, WEBHOOK_QUEUE
from nurture.clock import FixedClock
from nurture.db import unit_of_work
from nurture.gdpr.erase import erase_lead
from nurture.gdpr.notice_log import ErasureNoticePass, redeliver
from nurture.handoff.webhook import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, verify
from nurture.handoff.webhook import TIMESTAMP_HEADER as STAMP
from nurture.models import ErasureNotice, Lead, WebhookDelivery
from nurture.runtime import Runtime
from nurture.web import create_app
from nurture.webhooks import subscriptions
from nurture.webhooks.passes import WebhookPass
from tests.conftest import RuntimeFactory
from tests.handoff_support import (
    Posted,
    Receiver,
    add_events,
    deliveries,
    handoffs,
    http_receiver,
    write_rules,
)
from tests.pipeline import Engine, add_lead
from tests.prospects import csrf_of, table_dump

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
CRM_SECRET = "crm-shared-secret"
EMAIL = "ximena.erased@example.com"


@pytest.fixture
def subscriber() -> Iterator[Receiver]:
    with http_receiver() as receiver:
        yield receiver


def prepare(rt: Runtime, crm: Receiver, subscriber: Receiver) -> str:
    """Rules that hand hot leads to the CRM, and a subscriber to lead_created; its secret."""
    rt.settings = rt.settings.with_overrides(handoff_webhook_secret=CRM_SECRET)
    rt.clock = FixedClock(T0)  # scoring reads the events undecayed
    write_rules(rt, mode="push", webhook=crm.url)
    with unit_of_work(rt.sessions) as session:
        return subscriptions.add(session, subscriber.url, ["lead_created"], "CRM sync").secret


def hot_lead(rt: Runtime) -> int:
    """Three replies and a fitting country: 70 points, hot, handed to a rep."""
    lead_id = add_lead(rt, EMAIL, T0 - timedelta(days=1), country="ES", first_name="Ximena")
    add_events(rt, lead_id, T0, "email_replied", "email_replied", "email_replied")
    return lead_id


def settle(engine: Engine) -> None:
    assert engine.worker is not None
    for _ in range(3):
        for queue in (SCORE_QUEUE, HANDOFF_QUEUE, WEBHOOK_QUEUE):
            engine.rt.broker.join(queue, timeout=30_000)
        engine.worker.join()


def erase_on_the_page(rt: Runtime, lead_id: int) -> None:
    with unit_of_work(rt.sessions) as session:
        public_id = session.get_one(Lead, lead_id).public_id
    client = create_app(rt).test_client()
    page = client.get("/my-data/" + rt.tokens.sign("preferences", public_id))
    found = re.search(r'href="[^"]*(/erase/[^"]+)"', page.get_data(as_text=True))
    assert found is not None
    confirm = found.group(1)
    csrf = csrf_of(client.get(confirm).get_data(as_text=True))
    done = client.post(confirm, data={"csrf_token": csrf, "confirm": "yes"})
    assert done.status_code == 200


def signed(post: Posted, secret: str) -> dict[str, object]:
    """The body of a POST whose signature checks out with ``secret``."""
    stamp = post.headers[STAMP]
    assert verify(secret, stamp, post.body, post.headers[SIGNATURE_HEADER], datetime.now(UTC))
    body = json.loads(post.body)
    assert isinstance(body, dict)
    return body


def notices(rt: Runtime) -> list[ErasureNotice]:
    with unit_of_work(rt.sessions) as session:
        return list(session.scalars(select(ErasureNotice).order_by(ErasureNotice.id)))


def test_the_crm_and_subscribers_hear_of_the_erasure(
    engine: Engine, crm: Receiver, subscriber: Receiver
) -> None:
    """Handed off and posted before; erased on the page; both told, signed, no personal data."""
    rt = engine.rt
    secret = prepare(rt, crm, subscriber)
    lead_id = hot_lead(rt)
    engine.start_worker()
    rt.actors.enqueue_score_updates([lead_id])
    settle(engine)
    engine.schedule(T0)  # the webhook pass dispatches lead_created to the subscriber
    settle(engine)
    assert signed(crm.posts[0], CRM_SECRET)["event"] == "lead.assigned"
    created = signed(subscriber.posts[0], secret)
    assert created["event"] == "lead_created"
    [handoff] = handoffs(rt)
    lead_public_id = created["lead"]["id"]  # type: ignore[index]

    erase_on_the_page(rt, lead_id)
    settle(engine)

    told_crm, told_subscriber = crm.posts[-1], subscriber.posts[-1]
    assert told_crm.headers[EVENT_HEADER] == "lead.erased"
    crm_notice = signed(told_crm, CRM_SECRET)
    assert datetime.fromisoformat(str(crm_notice.pop("sent_at"))) > T0
    assert crm_notice == {
        "event": "lead.erased",
        "delivery": told_crm.headers[DELIVERY_HEADER],
        "erased_at": T0.isoformat(),
        "handoffs": [handoff.public_id],
        "deliveries": [crm.posts[0].headers[DELIVERY_HEADER]],
    }
    assert told_subscriber.headers[EVENT_HEADER] == "lead_erased"
    assert signed(told_subscriber, secret) == {
        "id": told_subscriber.headers[DELIVERY_HEADER],
        "event": "lead_erased",
        "occurred_at": T0.isoformat(),
        "data": {"type": "erased", "deliveries": [created["id"]]},
        "lead": None,
    }
    for post in (told_crm, told_subscriber):
        for secret_value in (EMAIL, "Ximena", str(lead_public_id)):
            assert secret_value.encode() not in post.body
    assert [(n.channel, n.status, n.attempts) for n in notices(rt)] == [
        ("crm", "delivered", 1),
        ("webhook", "delivered", 1),
    ]
    dump = table_dump(rt)
    for secret_value in (EMAIL, "Ximena", str(lead_public_id)):
        assert secret_value not in dump


def erased_after_one_delivery(rt: Runtime, subscriber: Receiver) -> list[int]:
    """A lead whose lead_created reached the subscriber, erased; the notice ids."""
    write_rules(rt)  # and purposes.yaml
    with unit_of_work(rt.sessions) as session:
        subscriptions.add(session, subscriber.url, ["lead_created"], None)
    lead_id = add_lead(rt, EMAIL, T0)
    ids: list[int] = []
    WebhookPass(rt.sessions, ids.extend, rt.wall_clock).run(T0)
    assert rt.webhook_deliverer.deliver(ids[0]) is None
    with unit_of_work(rt.sessions) as session:
        lead = session.get_one(Lead, lead_id)
        erase_lead(session, lead, rt.settings.suppression_key, T0, actor="test", via="cli")
    return [n.id for n in notices(rt)]


def test_failures_retry_then_fail_visibly_and_can_be_redelivered(
    db_url: str, make_runtime: RuntimeFactory, subscriber: Receiver
) -> None:
    """5xx: backoff until max_attempts, then failed with the answer kept; redeliver works."""
    rt = make_runtime(db_url)
    [notice_id] = erased_after_one_delivery(rt, subscriber)
    notifier = rt.erasure_notifier
    subscriber.statuses = [503] * 8
    waits = []
    for _ in range(8):
        waits.append(notifier.deliver(notice_id))
        with unit_of_work(rt.sessions) as session:  # the wait is over
            session.execute(update(ErasureNotice).values(next_attempt_at=None))
    assert all(wait is not None for wait in waits[:-1])
    assert waits[-1] is None
    [row] = notices(rt)
    assert (row.status, row.attempts, row.response_code) == ("failed", 8, 503)
    assert row.last_error == "attempt 8: HTTP 503"
    with unit_of_work(rt.sessions) as session:
        assert redeliver(session, [row.public_id], datetime.now(UTC)) == [notice_id]
    assert notifier.deliver(notice_id) is None
    assert notices(rt)[0].status == "delivered"
    assert len({post.headers[DELIVERY_HEADER] for post in subscriber.posts[1:]}) == 1


def test_gone_receivers_and_removed_subscriptions_fail_at_once(
    db_url: str, make_runtime: RuntimeFactory, subscriber: Receiver
) -> None:
    """410 stops retrying; a removed subscription is not posted to, and the log says why."""
    rt = make_runtime(db_url)
    [notice_id] = erased_after_one_delivery(rt, subscriber)
    subscriber.statuses = [410]
    assert rt.erasure_notifier.deliver(notice_id) is None
    assert (notices(rt)[0].status, notices(rt)[0].response_code) == ("failed", 410)

    with unit_of_work(rt.sessions) as session:
        redeliver(session, [notices(rt)[0].public_id], datetime.now(UTC))
        [subscription] = subscriptions.listing(session)
        subscriptions.remove(session, subscription.public_id)
    posts = len(subscriber.posts)
    assert rt.erasure_notifier.deliver(notice_id) is None
    [row] = notices(rt)
    assert row.status == "failed"
    assert row.last_error == (
        "attempt 1: the subscription was removed: tell this recipient another way"
    )
    assert len(subscriber.posts) == posts


def test_a_lost_notice_is_found_again_by_the_scheduler_pass(
    db_url: str, make_runtime: RuntimeFactory, subscriber: Receiver
) -> None:
    """Erased with no broker hand-over: a later pass enqueues the notice once."""
    rt = make_runtime(db_url)
    [notice_id] = erased_after_one_delivery(rt, subscriber)
    enqueued: list[int] = []
    notice_pass = ErasureNoticePass(rt.sessions, enqueued.extend, rt.wall_clock)
    assert notice_pass.run(T0) == []  # just written: the broker may still deliver it
    with unit_of_work(rt.sessions) as session:
        stale = datetime.now(UTC) - timedelta(minutes=10)
        session.execute(update(ErasureNotice).values(updated_at=stale))
    assert notice_pass.run(T0) == ["erasure notices: 1 enqueued again"]
    assert notice_pass.run(T0) == []
    assert enqueued == [notice_id]


def test_nothing_is_owed_for_data_nobody_received(
    db_url: str, make_runtime: RuntimeFactory, subscriber: Receiver
) -> None:
    """A delivery still pending at the erasure goes out without the lead: no notice."""
    rt = make_runtime(db_url)
    write_rules(rt)
    with unit_of_work(rt.sessions) as session:
        subscriptions.add(session, subscriber.url, ["lead_created"], None)
    lead_id = add_lead(rt, EMAIL, T0)
    WebhookPass(rt.sessions, lambda ids: None, rt.wall_clock).run(T0)
    with unit_of_work(rt.sessions) as session:
        lead = session.get_one(Lead, lead_id)
        erase_lead(session, lead, rt.settings.suppression_key, T0, actor="test", via="cli")
        assert session.scalars(select(WebhookDelivery)).one().attempts == 0
    assert notices(rt) == []


def test_the_crm_notice_waits_for_its_signing_secret(
    db_url: str, make_runtime: RuntimeFactory, crm: Receiver
) -> None:
    """No NURTURE_HANDOFF_WEBHOOK_SECRET when it goes out: nothing unsigned is sent, the
    notice stays pending with the reason, and goes once the secret is set."""
    rt = make_runtime(db_url, handoff_webhook_secret=CRM_SECRET)
    rt.clock = FixedClock(T0)
    write_rules(rt, mode="push", webhook=crm.url)
    lead_id = hot_lead(rt)
    rt.scorer.update([lead_id])
    [delivery_id] = [d.id for d in deliveries(rt) if d.channel == "webhook"]
    assert rt.handoff_deliverer.deliver(delivery_id) is None
    with unit_of_work(rt.sessions) as session:
        lead = session.get_one(Lead, lead_id)
        erase_lead(session, lead, rt.settings.suppression_key, T0, actor="test", via="cli")
    [notice] = notices(rt)
    unsigned = make_runtime(db_url, handoff_webhook_secret=None)
    assert unsigned.erasure_notifier.deliver(notice.id) is not None
    [row] = notices(rt)
    assert (row.status, row.last_error) == (
        "pending",
        "attempt 1: NURTURE_HANDOFF_WEBHOOK_SECRET is not set: nothing sent",
    )
    assert len(crm.posts) == 1
    with unit_of_work(rt.sessions) as session:
        session.execute(update(ErasureNotice).values(next_attempt_at=None))
    assert rt.erasure_notifier.deliver(notice.id) is None
    assert signed(crm.posts[-1], CRM_SECRET)["event"] == "lead.erased"
