"""Posting one webhook delivery: claim, sign, post, record — at least once.

1. claim the row (`pending` and due); the claim takes a lease (`next_attempt_at` moves
   past the longest an attempt can take), so a duplicate broker message finds nothing;
2. sign the JSON body (`nurture.handoff.webhook`, shared with the CRM hand-off) and POST
   it outside any transaction;
3. record: a 2xx is `delivered`; anything else waits an exponential backoff with jitter
   (the actor re-sends itself with that delay) until `max_attempts`, then `failed`, with
   the status and the start of the answer kept in the log. A 410 Gone stops at once.

Events of a sign-up nobody has confirmed yet (`prospects.signup.unconfirmed_signup`:
anyone can type an address into the public form) wait, uncounted, until the person
confirms; if they never do, the lead is purged and the wait ends with it.
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
from nurture.models import Event, Lead, WebhookDelivery, WebhookSubscription
from nurture.prospects.signup import unconfirmed_signup

TIMEOUT = 10.0
UNCONFIRMED_WAIT = timedelta(hours=1)  # between looks at a sign-up not confirmed yet


@dataclass(frozen=True)
class Attempt:
    url: str
    body: bytes
    headers: dict[str, str]


@dataclass
class WebhookDeliverer:
    sessions: SessionFactory
    poster: webhook.Poster
    wall_clock: Clock
    max_attempts: int = 8
    min_backoff: timedelta = timedelta(seconds=30)
    max_backoff: timedelta = timedelta(hours=6)

    def deliver(self, delivery_id: int) -> timedelta | None:
        """Attempt once; returns when to try again, or None when there is nothing more."""
        now = self.wall_clock.now()
        with unit_of_work(self.sessions) as session:
            if not claim(session, WebhookDelivery, delivery_id, now):
                return None
            attempt = _prepare(session, session.get_one(WebhookDelivery, delivery_id), now)
        if attempt is None or isinstance(attempt, timedelta):
            return attempt
        try:
            reply: webhook.HttpReply | str = self.poster.post(
                attempt.url, attempt.body, attempt.headers, TIMEOUT
            )
        except (OSError, ValueError) as error:
            reply = f"{type(error).__name__}: {error}"
        with unit_of_work(self.sessions) as session:
            return self._record(session, session.get_one(WebhookDelivery, delivery_id), reply)

    def _record(
        self, session: Session, row: WebhookDelivery, reply: webhook.HttpReply | str
    ) -> timedelta | None:
        now = self.wall_clock.now()
        row.updated_at = now
        if isinstance(reply, webhook.HttpReply):
            row.response_code, row.response = reply.status, reply.body[:500]
            if 200 <= reply.status < 300:
                row.status, row.delivered_at, row.next_attempt_at = "delivered", now, None
                return None
            error = f"HTTP {reply.status}"
        else:
            error = reply
        row.last_error = f"attempt {row.attempts}: {error}"[:2000]
        gone = isinstance(reply, webhook.HttpReply) and reply.status == 410
        if gone or row.attempts >= self.max_attempts:
            row.status, row.next_attempt_at = "failed", None
            return None
        delay = self.backoff(row.attempts)
        row.next_attempt_at = now + delay
        return delay

    def backoff(self, attempts: int) -> timedelta:
        """Exponential with jitter, capped: about 30 s, 1 min, 2 min … up to 6 hours."""
        ceiling = min(self.max_backoff, self.min_backoff * (1 << max(0, attempts - 1)))
        return ceiling / 2 + (ceiling / 2) * random.random()


def _prepare(session: Session, row: WebhookDelivery, now: datetime) -> Attempt | timedelta | None:
    """What to post; or how long to wait first (the row released, uncounted); or None."""
    subscription = session.get_one(WebhookSubscription, row.subscription_id)
    if not subscription.active:
        row.status, row.next_attempt_at = "failed", None
        row.last_error = "the subscription was removed before this delivery went out"
        return None
    lead = session.get(Lead, row.lead_id) if row.lead_id is not None else None
    if lead is not None and unconfirmed_signup(session, lead):
        row.attempts -= 1  # the claim counted one: waiting is not trying
        row.next_attempt_at = now + UNCONFIRMED_WAIT
        row.last_error = "waiting for the person to confirm the sign-up (double opt-in)"
        return UNCONFIRMED_WAIT
    body = json.dumps(webhook_body(session, row), ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8"
    )
    headers = webhook.signed_headers(subscription.secret, body, now, row.public_id, row.event)
    return Attempt(subscription.url, body, headers)


def webhook_body(session: Session, row: WebhookDelivery) -> dict[str, Any]:
    """The JSON a receiver gets, built now: the lead as it is (null once erased, its id
    alone while the person restricts processing: passing the profile on is processing)
    and the event's details (emptied by an erasure too)."""
    event = session.get(Event, row.event_id)
    lead = session.get(Lead, row.lead_id) if row.lead_id is not None else None
    stored = row.payload or {}
    return {
        "id": row.public_id,
        "event": row.event,
        "occurred_at": stored.get("occurred_at"),
        "data": {"type": stored.get("type"), **((event.data or {}) if event else {})},
        "lead": None if lead is None else _lead_or_id(lead, row.event),
    }


def _lead_or_id(lead: Lead, event: str) -> dict[str, Any]:
    if lead.restricted_at is None:
        return _lead(lead)
    if event == "lead_corrected":  # art. 19 has us pass a correction on, restricted or
        # not (as the CRM's `lead.updated`), but not the score: that is processing's output
        return {k: v for k, v in _lead(lead).items() if k not in _SCORING}
    return {"id": lead.public_id}


_SCORING = frozenset({"score", "temperature", "stage"})


def _lead(lead: Lead) -> dict[str, Any]:
    return {
        "id": lead.public_id,
        "email": lead.email,
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "company": lead.company,
        "job_title": lead.job_title,
        "country": lead.country,
        "source": lead.source,
        "tags": list(lead.tags or []),
        "score": lead.score,
        "temperature": lead.temperature,
        "stage": lead.lifecycle_stage,
    }
