"""Delivering one hand-off notification: claim, build, send, record (like the sender).

1. claim the row: `pending` and due; the claim takes a lease (`next_attempt_at` moves
   past the longest an attempt can take), so a duplicate broker message finds nothing;
2. build the webhook request or the owner's email from the current rows;
3. send it outside any transaction;
4. record the outcome: `delivered`; or `pending` with a backoff the caller waits out
   (Dramatiq delay) until `max_attempts`, then `failed`. `nurture sales redeliver`
   gives a failed delivery another round.

A hand-off withdrawn since a delivery was planned sends only its follow-ups
(`lead.withdrawn`, `lead.updated`); anything else fails at once, saying why.

At least once: a crash between the receiver's 2xx and step 4 repeats the request after
the lease; receivers deduplicate on X-Nurture-Delivery, mail clients on Message-ID.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

from sqlalchemy.orm import Session

from nurture.clock import Clock
from nurture.db import SessionFactory, unit_of_work
from nurture.handoff import webhook
from nurture.handoff.corrections import MERGE
from nurture.handoff.deliveries import FOLLOW_UPS
from nurture.handoff.notify import owner_mail
from nurture.handoff.payload import webhook_body
from nurture.handoff.withdraw import WITHDRAWN
from nurture.leases import claim
from nurture.mail.errors import SendError, TransientSendError
from nurture.mail.message import build_mime
from nurture.mail.transport import Transport
from nurture.models import Handoff, HandoffDelivery, Lead
from nurture.models.handoff import OPEN_STATUSES
from nurture.scoring.loader import LoadedRules
from nurture.scoring.rules import HandoffRules


@dataclass(frozen=True)
class Request:
    """A delivery ready to go: an HTTP POST or an email."""

    channel: str
    target: str
    body: bytes
    headers: dict[str, str]
    timeout: float = 10.0
    envelope_from: str = ""


@dataclass(frozen=True)
class Result:
    ok: bool
    code: int | None  # HTTP status or SMTP reply code
    detail: str  # the error, or the reply
    permanent: bool = False
    reply: str | None = None  # what the receiver answered, if it answered


@dataclass
class Deliverer:
    sessions: SessionFactory
    rules: Callable[[], LoadedRules]
    transport: Transport
    poster: webhook.Poster
    secret: str | None
    wall_clock: Clock
    min_backoff: timedelta = timedelta(seconds=30)
    max_backoff: timedelta = timedelta(hours=1)

    def deliver(self, delivery_id: int) -> timedelta | None:
        """Attempt once; returns when to try again, or None when there is nothing to do."""
        now = self.wall_clock.now()
        with unit_of_work(self.sessions) as session:
            if not claim(session, HandoffDelivery, delivery_id, now, last_attempt_at=now):
                return None
            request = self._build(session, session.get_one(HandoffDelivery, delivery_id), now)
        result = request if isinstance(request, Result) else self._send(request)
        with unit_of_work(self.sessions) as session:
            return self._record(session, session.get_one(HandoffDelivery, delivery_id), result)

    def _build(self, session: Session, row: HandoffDelivery, now: datetime) -> Request | Result:
        handoff = session.get_one(Handoff, row.handoff_id)
        if handoff.status == WITHDRAWN and row.event not in FOLLOW_UPS:
            # Planned before the person objected or restricted processing: the profile
            # must not reach sales after that (the CRM hears `lead.withdrawn` instead).
            return Result(False, None, "the hand-off was withdrawn: not sent", permanent=True)
        if row.cause == MERGE and handoff.status not in OPEN_STATUSES:
            # New data is for sales working the lead; a correction (art. 19) still goes.
            reason = f"the hand-off is {handoff.status}: new data is not sent"
            return Result(False, None, reason, permanent=True)
        lead = session.get_one(Lead, handoff.lead_id)
        config = self.rules().rules
        handoff_rules = config.handoff if config is not None else None
        if handoff_rules is None:
            return Result(False, None, "scoring.yaml is invalid or has no handoff: not sent")
        rep = handoff_rules.rep(handoff.rep_id) if handoff.rep_id else None
        if row.channel == "webhook":
            return self._webhook(row, handoff, lead, handoff_rules, now)
        if handoff_rules.notify is None:
            return Result(False, None, "handoff.notify was removed from scoring.yaml", True)
        mail = owner_mail(
            row.public_id, handoff_rules.notify.sender, rep, row.target, handoff, lead, now
        )
        sender = handoff_rules.notify.sender
        return Request(
            "email", row.target, build_mime(mail), {}, envelope_from=parseaddr(sender)[1]
        )

    def _webhook(
        self, row: HandoffDelivery, handoff: Handoff, lead: Lead, rules: HandoffRules, now: datetime
    ) -> Request | Result:
        if not self.secret:
            return Result(False, None, "NURTURE_HANDOFF_WEBHOOK_SECRET is not set: nothing sent")
        rep = rules.rep(handoff.rep_id) if handoff.rep_id else None
        data = webhook_body(row.event, row.public_id, handoff, lead, rep, now)
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = webhook.signed_headers(self.secret, body, now, row.public_id, row.event)
        timeout = rules.webhook.timeout if rules.webhook is not None else 10.0
        return Request("webhook", row.target, body, headers, timeout)

    def _send(self, request: Request) -> Result:
        if request.channel == "email":
            try:
                reply = self.transport.send(request.envelope_from, request.target, request.body)
            except TransientSendError as error:
                return Result(False, _smtp_code(error.response), error.response)
            except SendError as error:
                return Result(False, _smtp_code(error.response), error.response, permanent=True)
            return Result(True, _smtp_code(reply), reply, reply=reply)
        try:
            http = self.poster.post(request.target, request.body, request.headers, request.timeout)
        except (OSError, ValueError) as error:
            return Result(False, None, f"{type(error).__name__}: {error}")
        ok = 200 <= http.status < 300
        return Result(ok, http.status, f"HTTP {http.status}: {http.body[:200]}", reply=http.body)

    def _record(self, session: Session, row: HandoffDelivery, result: Result) -> timedelta | None:
        now = self.wall_clock.now()
        row.response_code = result.code
        row.response = result.reply[:500] if result.reply is not None else None
        if result.ok:
            row.status, row.delivered_at, row.next_attempt_at = "delivered", now, None
            return None
        row.last_error = f"attempt {row.attempts}: {result.detail}"[:2000]
        if result.permanent or row.attempts >= row.max_attempts:
            row.status, row.next_attempt_at = "failed", None
            return None
        delay = self.backoff(row.attempts)
        row.next_attempt_at = now + delay
        return delay

    def backoff(self, attempts: int) -> timedelta:
        """Exponential with jitter, capped: the receiver gets room to recover."""
        ceiling = min(self.max_backoff, self.min_backoff * (1 << max(0, attempts - 1)))
        floor = self.min_backoff / 2
        return floor + (ceiling - floor) * random.random()


def _smtp_code(reply: str) -> int | None:
    head = reply[:3]
    return int(head) if head.isdigit() else None
