"""Posting one erasure notice (GDPR art. 19): claim, sign, post, record — at least once.

Each recipient gets the notice in the shape of the webhooks it already receives, signed
with the same key and scheme (`nurture.handoff.webhook`: HMAC-SHA256 over
"<timestamp>.<body>", `X-Nurture-Signature`/`-Timestamp`/`-Delivery`/`-Event`):

- the CRM (`NURTURE_HANDOFF_WEBHOOK_SECRET`), event `lead.erased`::

    {"event": "lead.erased", "delivery": …, "sent_at": …, "erased_at": …,
     "handoffs": [hand-off ids], "deliveries": [hand-off delivery ids]}

- a webhook subscriber (its subscription's secret), event `lead_erased`::

    {"id": …, "event": "lead_erased", "occurred_at": <erased at>,
     "data": {"type": "erased", "deliveries": [webhook delivery ids]}, "lead": null}

Like the other deliveries: the claim takes a lease, so a duplicate broker message finds
nothing; a 2xx is `delivered`; anything else waits an exponential backoff with jitter
until `max_attempts`, then `failed`, kept in the log with the status and the start of
the answer. A 410 Gone and a removed subscription fail at once, saying so: the operator
must then tell that recipient another way (`nurture gdpr notices --status failed`).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from nurture.clock import Clock
from nurture.db import SessionFactory, unit_of_work
from nurture.handoff import webhook
from nurture.leases import claim
from nurture.models import ErasureNotice, WebhookSubscription

TIMEOUT = 10.0
EVENTS = {"crm": "lead.erased", "webhook": "lead_erased"}  # each channel's naming


@dataclass(frozen=True)
class Attempt:
    url: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Refused:
    """Nothing can be sent now; ``final`` when retrying cannot help."""

    reason: str
    final: bool = False


@dataclass
class ErasureNotifier:
    sessions: SessionFactory
    poster: webhook.Poster
    crm_secret: str | None
    wall_clock: Clock
    min_backoff: timedelta = timedelta(seconds=30)
    max_backoff: timedelta = timedelta(hours=6)

    def deliver(self, notice_id: int) -> timedelta | None:
        """Attempt once; returns when to try again, or None when there is nothing more."""
        now = self.wall_clock.now()
        with unit_of_work(self.sessions) as session:
            if not claim(session, ErasureNotice, notice_id, now):
                return None
            attempt = self._prepare(session, session.get_one(ErasureNotice, notice_id), now)
        outcome: webhook.HttpReply | Refused = (
            attempt if isinstance(attempt, Refused) else self._post(attempt)
        )
        with unit_of_work(self.sessions) as session:
            return self._record(session, session.get_one(ErasureNotice, notice_id), outcome)

    def _prepare(self, session: Session, row: ErasureNotice, now: datetime) -> Attempt | Refused:
        if row.channel == "crm":
            if not self.crm_secret:
                return Refused("NURTURE_HANDOFF_WEBHOOK_SECRET is not set: nothing sent")
            secret, url = self.crm_secret, row.target
        else:
            subscription = session.get(WebhookSubscription, row.subscription_id)
            if subscription is None or not subscription.active:
                reason = "the subscription was removed: tell this recipient another way"
                return Refused(reason, final=True)
            secret, url = subscription.secret, subscription.url
        data = notice_body(row, now)
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        event = EVENTS[row.channel]
        return Attempt(url, body, webhook.signed_headers(secret, body, now, row.public_id, event))

    def _post(self, attempt: Attempt) -> webhook.HttpReply | Refused:
        try:
            return self.poster.post(attempt.url, attempt.body, attempt.headers, TIMEOUT)
        except (OSError, ValueError) as error:
            return Refused(f"{type(error).__name__}: {error}")

    def _record(
        self, session: Session, row: ErasureNotice, outcome: webhook.HttpReply | Refused
    ) -> timedelta | None:
        now = self.wall_clock.now()
        row.updated_at = now
        final = isinstance(outcome, Refused) and outcome.final
        if isinstance(outcome, webhook.HttpReply):
            row.response_code, row.response = outcome.status, outcome.body[:500]
            if 200 <= outcome.status < 300:
                row.status, row.delivered_at, row.next_attempt_at = "delivered", now, None
                return None
            final = outcome.status == 410
            error = f"HTTP {outcome.status}"
        else:
            error = outcome.reason
        row.last_error = f"attempt {row.attempts}: {error}"[:2000]
        if final or row.attempts >= row.max_attempts:
            row.status, row.next_attempt_at = "failed", None
            return None
        delay = self.backoff(row.attempts)
        row.next_attempt_at = now + delay
        return delay

    def backoff(self, attempts: int) -> timedelta:
        """Exponential with jitter, capped: the receiver gets room to recover."""
        ceiling = min(self.max_backoff, self.min_backoff * (1 << max(0, attempts - 1)))
        return ceiling / 2 + (ceiling / 2) * random.random()


def notice_body(row: ErasureNotice, now: datetime) -> dict[str, Any]:
    """What the recipient reads: the identifiers it already holds, and nothing else."""
    held = row.identifiers or {}
    if row.channel == "crm":
        return {
            "event": EVENTS["crm"],
            "delivery": row.public_id,
            "sent_at": now.isoformat(),
            "erased_at": row.erased_at.isoformat(),
            "handoffs": list(held.get("handoffs", [])),
            "deliveries": list(held.get("deliveries", [])),
        }
    return {
        "id": row.public_id,
        "event": EVENTS["webhook"],
        "occurred_at": row.erased_at.isoformat(),
        "data": {"type": "erased", "deliveries": list(held.get("deliveries", []))},
        "lead": None,
    }
