"""What the CRM is told after a hand-off (withdrawal, correction): a site with rules that
hand hot leads to a CRM receiver, and the requests a person makes on it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from nurture.clock import FixedClock
from nurture.handoff.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from nurture.models import Lead
from nurture.runtime import Runtime
from tests.handoff_support import Posted, add_events, deliveries, handoffs, write_rules
from tests.prospects import SIGNED_UP, Site, consented, make_site

NOW = SIGNED_UP + timedelta(hours=1)
SECRET = "crm-shared-secret"


def crm_site(rt: Runtime, crm_url: str) -> Site:
    """Push to ana and ben, every change posted to `crm_url`, on a fixed clock (no decay)."""
    rt.settings = rt.settings.with_overrides(handoff_webhook_secret=SECRET)
    rt.clock = FixedClock(NOW)
    site = make_site(rt)
    write_rules(rt, mode="push", webhook=crm_url)
    return site


def record_enqueued(rt: Runtime) -> list[int]:
    """The hand-off deliveries handed to the broker from now on (after their commit)."""
    ids: list[int] = []

    def record(delivery_ids: Sequence[int]) -> None:
        ids.extend(delivery_ids)

    rt.actors.enqueue_deliveries = record  # type: ignore[method-assign]
    return ids


def hot(site: Site, email: str, **fields: str) -> Lead:
    """Three replies and a fitting country: 70, hot, handed over at once."""
    lead = consented(site, email, **{"country": "ES", **fields})
    add_events(site.rt, lead.id, NOW, "email_replied", "email_replied", "email_replied")
    site.rt.scorer.update([lead.id])
    assert handoffs(site.rt)[-1].status in ("assigned", "pooled")
    return lead


def deliver(site: Site, event: str, channel: str = "webhook") -> None:
    """Attempt every pending delivery of this event and channel once."""
    for row in deliveries(site.rt):
        if (row.event, row.channel, row.status) == (event, channel, "pending"):
            site.rt.handoff_deliverer.deliver(row.id)


def preferences(site: Site, lead: Lead, **choices: str) -> None:
    """Save the preference centre with the newsletter kept and these boxes ticked."""
    page = "/p/" + site.rt.tokens.sign("preferences", lead.public_id)
    form = {"csrf_token": site.csrf(page), "purposes": ["newsletter"], "pause": "0", **choices}
    assert site.client.post(page, data=form).status_code == 200


def signed_body(post: Posted) -> dict[str, Any]:
    """The body of a CRM webhook whose signature checks out."""
    stamp = post.headers[TIMESTAMP_HEADER]
    assert verify(SECRET, stamp, post.body, post.headers[SIGNATURE_HEADER], datetime.now(UTC))
    body = json.loads(post.body)
    assert isinstance(body, dict)
    return body
