"""The sender: one message id in, at most one SMTP transaction out.

1. claim the row (`queued` → `sending`, committed) — anything else means another worker
   has it or it is finished: return;
2. re-check consent, suppression, restriction and the enrolment at send time; a
   withdrawal after scheduling always wins (`suppressed`, nothing sent);
3. render and send over the transport;
4. record `sent` and the `email_sent` event.

Between the server's 250 and the commit of step 4 the outcome can be lost (crash, database
down). Policy: at-most-once. The row stays `sending`, the recovery sweep marks it
`unknown`, it is reported, and only `nurture messages resend` sends it again.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from nurture.campaigns.registry import CampaignSet
from nurture.clock import Clock
from nurture.db import SessionFactory, unit_of_work
from nurture.mail.errors import HeaderInjectionError, SendError, TransientSendError
from nurture.mail.message import OutgoingMail, build_mime
from nurture.mail.render import TemplateError
from nurture.mail.transport import Transport
from nurture.models import Lead, Message
from nurture.sending import claims
from nurture.sending.checks import blocked_reason
from nurture.sending.compose import Composer, MissingPostalAddress, envelope_sender
from nurture.sending.outcomes import (
    Outcome,
    Prepared,
    note_transport_error,
    record_failure,
    record_sent,
)
from nurture.sending.transactional import TransactionalComposer


@dataclass
class Sender:
    sessions: SessionFactory
    transport: Transport
    composer: Composer
    campaigns: Callable[[], CampaignSet]
    suppression_key: str
    clock: Clock  # the schedule's clock: event times
    wall_clock: Clock  # operational timestamps: claims, retries
    max_attempts: int = 5
    min_backoff: timedelta = timedelta(seconds=30)
    max_backoff: timedelta = timedelta(hours=1)
    transactional: TransactionalComposer | None = None  # double opt-in, links, notices

    def deliver(self, message_id: int) -> Outcome:
        with unit_of_work(self.sessions) as session:
            if not claims.claim(session, message_id, self.wall_clock.now()):
                return Outcome("not claimable")
        try:
            with unit_of_work(self.sessions) as session:
                prepared = self._prepare(session, message_id)
        except MissingPostalAddress as error:
            self._release(message_id, None, str(error))
            raise
        except Exception:
            # Nothing reached the SMTP server: the row may safely go back to the queue.
            self._release(message_id, None, "internal error before sending; see the worker log")
            raise
        if isinstance(prepared, Outcome):
            return prepared
        return self._send(prepared)

    def _prepare(self, session: Session, message_id: int) -> Prepared | Outcome:
        row = session.get_one(Message, message_id)
        lead = session.get(Lead, row.lead_id) if row.lead_id is not None else None
        reason = blocked_reason(session, row, lead, self.suppression_key, self.clock.now())
        if reason is not None or lead is None:
            return self._finish(session, row, Outcome("suppressed", reason))
        try:
            mail = self._compose(row, lead)
            if isinstance(mail, Outcome):
                return self._finish(session, row, mail)
            data = build_mime(mail)
        except (TemplateError, HeaderInjectionError) as error:
            return self._finish(session, row, Outcome("failed", str(error)))
        return Prepared(
            message_id,
            row.campaign_id,
            row.step_id,
            row.lead_id,
            envelope_sender(mail),
            mail.to,  # the lead, or the new address an address change must confirm
            data,
            row.attempts,
        )

    def _finish(self, session: Session, row: Message, outcome: Outcome) -> Outcome:
        claims.finish(session, row.id, outcome.status, self.wall_clock.now(), error=outcome.detail)
        return outcome

    def _compose(self, row: Message, lead: Lead) -> OutgoingMail | Outcome:
        if row.kind == "transactional":
            if self.transactional is None:
                return Outcome("failed", "transactional mail is not configured")
            return self.transactional.compose(row, lead, self.clock.now())
        loaded = self.campaigns().campaigns.get(row.campaign_id or "")
        if loaded is None:
            return Outcome("cancelled", f"campaign {row.campaign_id!r} is no longer loaded")
        step = loaded.campaign.step(row.step_id or "")
        if step is None:
            return Outcome("cancelled", f"step {row.step_id!r} was removed from the campaign")
        return self.composer.marketing(row, lead, loaded.campaign, step, self.clock.now())

    def _send(self, prepared: Prepared) -> Outcome:
        try:
            response = self.transport.send(
                prepared.envelope_from, prepared.recipient, prepared.data
            )
        except TransientSendError as error:
            if prepared.attempts < self.max_attempts:
                return self._retry_later(prepared, error)
            return self._failed(prepared, error, f"gave up after {prepared.attempts} attempts")
        except SendError as error:
            return self._failed(prepared, error, "refused")
        with unit_of_work(self.sessions) as session:
            record_sent(session, prepared, response, self.clock.now(), self.wall_clock.now())
        return Outcome("sent", response)

    def _failed(self, prepared: Prepared, error: SendError, what: str) -> Outcome:
        detail = f"{what}: {error.response}"
        with unit_of_work(self.sessions) as session:
            record_failure(
                session,
                prepared,
                error,
                detail,
                self.suppression_key,
                self.clock.now(),
                self.wall_clock.now(),
            )
        return Outcome("failed", detail)

    def _retry_later(self, prepared: Prepared, error: TransientSendError) -> Outcome:
        delay = self.backoff(prepared.attempts)
        wall_now = self.wall_clock.now()
        with unit_of_work(self.sessions) as session:
            claims.release(
                session,
                prepared.message_id,
                wall_now,
                retry_at=wall_now + delay,
                error=f"attempt {prepared.attempts}: {error.response}",
            )
            if prepared.campaign_id:
                note_transport_error(session, prepared.campaign_id, wall_now)
        return Outcome("retry", error.response, retry_in=delay)

    def _release(self, message_id: int, retry_at: datetime | None, error: str) -> None:
        with unit_of_work(self.sessions) as session:
            claims.release(
                session, message_id, self.wall_clock.now(), retry_at=retry_at, error=error
            )

    def backoff(self, attempts: int) -> timedelta:
        """Exponential with jitter, capped; attempt 1 waits about min_backoff."""
        ceiling = min(self.max_backoff, self.min_backoff * (1 << max(0, attempts - 1)))
        floor = self.min_backoff / 2
        return floor + (ceiling - floor) * random.random()
