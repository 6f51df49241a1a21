"""Erasure leaves no trace: no table, no Redis key, no log line holds the person."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta

import pytest
import redis

from nurture.consent.suppression import suppression_reason
from nurture.db import unit_of_work
from nurture.gdpr.erase import erase_lead
from nurture.leads.events import record_event
from nurture.models import Lead, Message, RateLimit, WebhookDelivery
from nurture.prospects.ratelimit import LINK_MAIL, mailbox_key
from nurture.webhooks import subscriptions
from tests import services
from tests.conftest import RuntimeFactory
from tests.pipeline import Engine, add_lead, messages
from tests.prospects import SIGNED_UP, Site, consented, mail_rows, make_site, table_dump
from tests.smtp_server import SmtpServer

EMAIL = "zebulon.quixotica@example.com"
NEW_EMAIL = "zq.elsewhere@example.org"


def _redis_dump(engine: Engine) -> str:
    if not engine.rt.settings.redis_url:
        return ""
    client = redis.Redis.from_url(services.REDIS_URL)
    parts = []
    for key in client.scan_iter(match=f"{engine.rt.settings.redis_namespace}*"):
        parts.append(f"{key!r}={_redis_value(client, key)!r}")
    return "\n".join(parts)


def _redis_value(client: redis.Redis, key: bytes) -> object:
    found = client.type(key)
    kind = found.decode() if isinstance(found, bytes) else str(found)
    if kind == "string":
        return client.get(key)
    if kind == "hash":
        return client.hgetall(key)
    if kind == "list":
        return client.lrange(key, 0, -1)
    if kind == "set":
        return client.smembers(key)
    if kind == "zset":
        return client.zrange(key, 0, -1)
    return kind


def _erase_through_the_pages(site: Site, lead: Lead) -> None:
    my_data = "/my-data/" + site.rt.tokens.sign("preferences", lead.public_id)
    page = site.client.get(my_data).get_data(as_text=True)
    erase_url = re.search(r'href="[^"]*(/erase/[^"]+)"', page)
    assert erase_url
    confirm_page = erase_url.group(1)
    refused = site.client.post(confirm_page, data={"csrf_token": site.csrf(confirm_page)})
    assert refused.status_code == 400  # the box was not ticked
    done = site.client.post(
        confirm_page, data={"csrf_token": site.csrf(confirm_page), "confirm": "yes"}
    )
    assert "Your data is erased" in done.get_data(as_text=True)


def test_erasure_leaves_no_trace(
    engine: Engine, smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    """After erasure: no table column, Redis key or log line holds the email, names or id."""
    caplog.set_level(logging.DEBUG)
    site = make_site(engine.rt)
    lead = consented(site, EMAIL, first_name="Zebulon", last_name="Quixotica")
    other = consented(site, "someone.else@example.com", first_name="Other")
    engine.start_worker()
    engine.schedule(SIGNED_UP + timedelta(hours=1))
    engine.drain()
    assert len(smtp_server.messages) == 2
    with unit_of_work(engine.rt.sessions) as session:
        record_event(session, session.get(Lead, lead.id), "form_submitted", data={"said": EMAIL})
    my_data = "/my-data/" + engine.rt.tokens.sign("preferences", lead.public_id)
    engine.hold_broker()  # the address-change mail stays queued: erasure must cancel it
    site.client.post(
        my_data + "/email", data={"csrf_token": site.csrf(my_data), "email": NEW_EMAIL}
    )
    exported = site.client.post(my_data + "/export.json", data={"csrf_token": site.csrf(my_data)})
    assert other.public_id not in exported.get_data(as_text=True)
    assert "someone.else" not in exported.get_data(as_text=True)
    assert json.loads(exported.get_data(as_text=True))["lead"]["email"] == EMAIL

    _erase_through_the_pages(site, lead)

    secrets = [EMAIL, NEW_EMAIL, "Zebulon", "Quixotica", lead.public_id, my_data.rsplit("/")[-1]]
    dump, keys = table_dump(engine.rt), _redis_dump(engine)
    # Everything nurture and its libraries logged; the test's own SMTP server is not ours.
    logs = "\n".join(r.getMessage() for r in caplog.records if r.name != "mail.log")
    for secret in secrets:
        assert secret not in dump, secret
        assert secret not in keys, secret
        assert secret not in logs, secret
    with unit_of_work(engine.rt.sessions) as session:
        assert suppression_reason(session, engine.rt.settings.suppression_key, EMAIL) == "erased"
        assert session.get(Lead, other.id) is not None
    assert [row.status for row in mail_rows(engine.rt)] == ["cancelled"]
    sent = [row for row in messages(engine.rt) if row.status == "sent"]
    assert len(sent) == 2  # the aggregate survives, detached from the person
    assert sum(row.lead_id is None for row in sent) == 1


def test_a_re_subscription_after_erasure_sends_nothing(engine: Engine) -> None:
    """The keyed hash on the suppression list answers like any sign-up, and mails nobody."""
    site = make_site(engine.rt)
    lead = consented(site, EMAIL)
    _erase_through_the_pages(site, lead)
    answer = site.client.post(
        "/subscribe",
        data={"csrf_token": site.csrf("/subscribe"), "email": EMAIL, "purposes": "newsletter"},
    )
    assert answer.status_code == 200
    assert site.lead(EMAIL) is None
    assert mail_rows(engine.rt) == []
    with unit_of_work(engine.rt.sessions) as session:
        assert session.query(Message).count() == 0


@pytest.fixture
def site(db_url: str, make_runtime: RuntimeFactory) -> Site:
    return make_site(make_runtime(db_url))


def test_a_receivers_echo_of_the_lead_goes_with_the_lead(site: Site) -> None:
    """A webhook receiver that answered with the lead's data: its answer is erased too."""
    rt = site.rt
    lead_id = add_lead(rt, EMAIL, SIGNED_UP, first_name="Zebulon")
    echo = f'{{"created": {{"email": "{EMAIL}", "name": "Zebulon"}}}}'
    with unit_of_work(rt.sessions) as session:
        subscription = subscriptions.add(
            session, "https://crm.example/hook", ["lead_created"], None
        )
        session.add(
            WebhookDelivery(
                subscription_id=subscription.id,
                event_id=1,
                lead_id=lead_id,
                event="lead_created",
                status="failed",
                attempts=1,
                response_code=422,
                response=echo,
                last_error="attempt 1: HTTP 422",
            )
        )
    with unit_of_work(rt.sessions) as session:
        erase_lead(
            session, session.get_one(Lead, lead_id), "k", SIGNED_UP, actor="operator", via="cli"
        )
    dump = table_dump(rt)
    assert EMAIL not in dump
    assert "Zebulon" not in dump


def test_the_counters_of_a_pending_new_address_go_with_the_lead(site: Site) -> None:
    """The new address of a pending change had its own counter: erasure deletes it too."""
    lead = consented(site, EMAIL)
    my_data = "/my-data/" + site.rt.tokens.sign("preferences", lead.public_id)
    site.client.post(
        my_data + "/email", data={"csrf_token": site.csrf(my_data), "email": NEW_EMAIL}
    )
    key = mailbox_key(site.rt.settings.suppression_key, LINK_MAIL, NEW_EMAIL)
    with unit_of_work(site.rt.sessions) as session:
        assert session.get(RateLimit, key) is not None
    _erase_through_the_pages(site, lead)
    with unit_of_work(site.rt.sessions) as session:
        assert session.get(RateLimit, key) is None
