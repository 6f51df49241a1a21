"""The sender: message ids in, at most one SMTP transaction out per message.

For each group of up to CLAIM_GROUP messages of a batch:
1. record the sends since the last claim (`sent` and their `email_sent` events) and claim
   the group's rows (`queued` → `sending`), reading what the send-time checks need in the
   same snapshot: one commit (on PostgreSQL one statement, see `nurture.sending.store`);
2. for each claimed row, re-check consent, suppression, restriction and the enrolment (a
   withdrawal after scheduling always wins: `suppressed`, nothing sent) and render. A row
   that must not or cannot go out is finished in a statement of its own. An unexpected
   error gives the claims not yet handed over back (`sending` → `queued`, the attempt not
   counted) and is raised for Dramatiq to retry; a crash right there leaves them
   `sending`, which the recovery sweep reports as `unknown` — never sent, and a resend
   runs every check again;
3. send over the transport; a success is recorded by the next claim (step 1), or in a
   transaction of its own for the last ones of the batch; a failure at once, after the
   successes before it. After a failure (it may have paused the campaign or suppressed an
   address), and once the claim is older than CLAIM_FRESH_S, the claims not reached are
   given back and claimed again: their checks are read again.

Between the server's 250 and the commit that records it the outcome can be lost (crash, database
down). Policy: at-most-once. The row stays `sending`, the recovery sweep marks it
`unknown`, it is reported, and only `nurture messages resend` sends it again. A reply to
the message that never arrives (timeout, connection lost) is the same case, known at once:
the row ends `unknown` directly, never retried.
"""

from __future__ import annotations

import contextlib
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from nurture.campaigns.registry import CampaignSet
from nurture.clock import Clock
from nurture.db import SessionFactory, unit_of_work
from nurture.mail.errors import (
    SendError,
    TransientSendError,
    UnknownOutcome,
)
from nurture.mail.message import OutgoingMail, build_mime
from nurture.mail.render import TemplateError
from nurture.mail.transport import Transport
from nurture.models import Lead, Message
from nurture.sending import claims
from nurture.sending.checks import SendFacts, blocked_reason
from nurture.sending.compose import Composer, envelope_sender
from nurture.sending.outcomes import (
    Outcome,
    Prepared,
    note_transport_error,
    record_failure,
)
from nurture.sending.store import Claimed, SendStore, SentRecord
from nurture.sending.store_core import CoreSendStore
from nurture.sending.store_pg import PostgresSendStore
from nurture.sending.transactional import TransactionalComposer

# How long a held message (its campaign file does not load) waits before a new try.
HOLD_RETRY = timedelta(minutes=5)
# Rows claimed by one statement. A claim per message cost the worker about 150 µs of CPU
# in the driver and PostgreSQL a commit; per eight, an eighth of that. The price: a
# worker that dies mid-group leaves the group's rows `sending`, reported `unknown`, up to
# this many where it was one or two.
CLAIM_GROUP = 8
# A claimed row is handed over within this long of its claim, or given back and claimed
# again: its send-time checks (consent, suppression, a paused campaign) are never older
# than this and one send, however slow the SMTP server. A group cut short this way makes
# the next one smaller (it grows back as sends get fast again).
CLAIM_FRESH_S = 1.0


@dataclass
class Sender:
    engine: Engine  # the hot path runs on plain connections (see nurture.sending.store)
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
        return self.deliver_many([message_id])[0]

    def deliver_many(
        self, message_ids: Sequence[int], budget: timedelta | None = None
    ) -> list[Outcome]:
        """An outcome per id, in order; with a `budget`, no new row is handed over once it
        has run out, and the list stops there (the caller hands the rest back)."""
        outcomes: list[Outcome] = []
        sent: list[SentRecord] = []  # sends since the last claim, recorded with the next
        deadline = math.inf if budget is None else time.monotonic() + budget.total_seconds()
        size = CLAIM_GROUP
        try:
            # One connection for the batch: checking one out per message cost a pool
            # round trip and a liveness ping (a `SELECT 1`) each, a tenth of the CPU.
            with self.engine.connect() as connection:
                addresses = self.store.open(connection, message_ids)
                while len(outcomes) < len(message_ids):
                    if outcomes and time.monotonic() > deadline:
                        break
                    group = message_ids[len(outcomes) : len(outcomes) + size]
                    claimed = self.store.claim(
                        connection,
                        group,
                        after=sent,
                        now=self.clock.now(),
                        wall_now=self.wall_clock.now(),
                        suppression_key=self.suppression_key,
                        addresses=addresses,
                    )
                    sent = []  # committed with the claim
                    fresh_until = min(deadline, time.monotonic() + CLAIM_FRESH_S)
                    done, stale = self._deliver_group(connection, group, claimed, sent, fresh_until)
                    outcomes += done
                    size = max(1, len(done)) if stale else min(CLAIM_GROUP, size * 2)
        finally:
            if sent:  # the last sends, or those whose next claim failed
                # On a fresh connection: the batch's may be the one that just broke.
                with self.engine.begin() as connection:
                    self._record_sent(connection, sent)
        return outcomes

    def _deliver_group(
        self,
        connection: Connection,
        group: Sequence[int],
        claimed: dict[int, Claimed],
        sent: list[SentRecord],
        fresh_until: float,
    ) -> tuple[list[Outcome], bool]:
        """Compose and send the group's claimed rows in order, a success appended to
        `sent`; the outcomes, and whether the claim went stale before the end. It stops
        early, giving the claims not reached back to be claimed again with their checks
        read again, when the claim is older than CLAIM_FRESH_S (or the budget is out) and
        after a send that failed (it may have paused the campaign or suppressed an
        address). If anything raises, those claims are given back too."""
        outcomes: list[Outcome] = []
        stale = False
        try:
            for message_id in group:
                if outcomes and time.monotonic() > fresh_until:
                    stale = True
                    break
                one = claimed.pop(message_id, None)  # an id listed twice is handled once
                if one is None:
                    outcomes.append(Outcome("not claimable"))
                    continue
                prepared = self._prepare_claimed(connection, one)
                if isinstance(prepared, Outcome):
                    outcomes.append(prepared)
                    continue
                outcome, record = self._send(prepared, sent)
                outcomes.append(outcome)
                if record is None:
                    break
                sent.append(record)
        except BaseException:
            self._give_back(list(claimed))
            raise
        self._give_back(list(claimed), connection)
        return outcomes, stale

    def _record_sent(self, connection: Connection, sent: list[SentRecord]) -> None:
        self.store.record_sent(connection, sent, self.clock.now(), self.wall_clock.now())

    @cached_property
    def store(self) -> SendStore:
        postgres = self.engine.dialect.name == "postgresql"
        return PostgresSendStore() if postgres else CoreSendStore()

    def _prepare_claimed(self, connection: Connection, claimed: Claimed) -> Prepared | Outcome:
        try:
            with connection.begin():  # for the outcome of a row that does not go out
                return self._prepare(connection, claimed)
        except BaseException:
            self._give_back([claimed.row.id])
            raise

    def _give_back(self, message_ids: list[int], connection: Connection | None = None) -> None:
        """Nothing was handed over: the rows go back to `queued` as if never claimed.
        After an error on a fresh connection (the batch's may be what failed); if that
        fails too, they stay `sending` and end `unknown` (see the module's docstring)."""
        if not message_ids:
            return
        if connection is not None:
            with connection.begin():
                claims.unclaim_all(connection, message_ids)
            return
        with contextlib.suppress(Exception), self.engine.begin() as fresh:
            claims.unclaim_all(fresh, message_ids)

    def _prepare(self, connection: Connection, claimed: Claimed) -> Prepared | Outcome:
        row, lead, facts = claimed.row, claimed.lead, claimed.facts
        reason = blocked_reason(row, lead, facts, self.clock.now())
        if reason is not None or lead is None or facts is None:
            return self._finish(connection, row, Outcome("suppressed", reason))
        try:
            mail = self._compose(row, lead, facts)
            if isinstance(mail, Outcome) and mail.status == "held":
                return self._hold(connection, row, mail)
            if isinstance(mail, Outcome):
                return self._finish(connection, row, mail)
            data = build_mime(mail)
        except (TemplateError, ValueError) as error:
            # Header injection, or an address or URL the mail cannot carry: this row
            # fails, saying why, and the batch goes on (resend once it is mended).
            return self._finish(connection, row, Outcome("failed", str(error)))
        return Prepared(
            row.id,
            row.campaign_id,
            row.step_id,
            row.lead_id,
            envelope_sender(mail),
            mail.to,  # the lead, or the new address an address change must confirm
            data,
            row.attempts,
            tracked=row.kind == "marketing" and self.composer.tracks(facts.tracking == "given"),
            campaign_failures=facts.campaign_failures,
        )

    def _finish(self, connection: Connection, row: Message, outcome: Outcome) -> Outcome:
        claims.finish(
            connection, row.id, outcome.status, self.wall_clock.now(), error=outcome.detail
        )
        return outcome

    def _hold(self, connection: Connection, row: Message, outcome: Outcome) -> Outcome:
        wall_now = self.wall_clock.now()
        retry_at = wall_now + HOLD_RETRY
        claims.hold(connection, row.id, wall_now, retry_at=retry_at, error=outcome.detail or "")
        return Outcome("held", outcome.detail, retry_in=HOLD_RETRY)

    def _compose(self, row: Message, lead: Lead, facts: SendFacts) -> OutgoingMail | Outcome:
        if row.kind == "transactional":
            if self.transactional is None:
                return Outcome("failed", "transactional mail is not configured")
            return self.transactional.compose(row, lead, self.clock.now())
        campaigns = self.campaigns()
        loaded = campaigns.campaigns.get(row.campaign_id or "")
        if loaded is None and campaigns.may_return(row.campaign_id or ""):
            # A file saved with a typo, half-written by an editor, or a folder missing on
            # this machine: the step waits for it rather than being lost.
            why = f"campaign {row.campaign_id!r} does not load (see `campaigns validate`)"
            return Outcome("held", f"{why}: waiting for it")
        if loaded is None:
            return Outcome("cancelled", f"campaign {row.campaign_id!r} was removed")
        step = loaded.campaign.step(row.step_id or "")
        if step is None:
            return Outcome("cancelled", f"step {row.step_id!r} was removed from the campaign")
        tracking_allowed = facts.tracking == "given"
        return self.composer.marketing(
            row, lead, loaded.campaign, step, self.clock.now(), tracking_allowed=tracking_allowed
        )

    def _send(
        self, prepared: Prepared, pending: list[SentRecord]
    ) -> tuple[Outcome, SentRecord | None]:
        """Send; a success is returned to be recorded, a failure is recorded at once,
        after the `pending` successes that came before it (emptied): a success resets
        the campaign's count of transport errors, so their order matters."""
        try:
            response = self.transport.send(
                prepared.envelope_from, prepared.recipient, prepared.data
            )
        except SendError as error:
            with unit_of_work(self.sessions) as session:
                if pending:
                    self._record_sent(session.connection(), pending)
                    pending.clear()
                return self._failure(session, prepared, error), None
        record = SentRecord(
            prepared.message_id,
            response,
            prepared.tracked,
            prepared.campaign_id,
            reset_campaign_failures=prepared.campaign_failures > 0,
        )
        return Outcome("sent", response), record

    def _failure(self, session: Session, prepared: Prepared, error: SendError) -> Outcome:
        if isinstance(error, UnknownOutcome):
            return self._unknown(session, prepared, error)
        if isinstance(error, TransientSendError):
            if prepared.attempts < self.max_attempts:
                return self._retry_later(session, prepared, error)
            return self._failed(
                session, prepared, error, f"gave up after {prepared.attempts} attempts"
            )
        return self._failed(session, prepared, error, "refused")

    def _failed(self, session: Session, prepared: Prepared, error: SendError, what: str) -> Outcome:
        detail = f"{what}: {error.response}"
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

    def _unknown(self, session: Session, prepared: Prepared, error: UnknownOutcome) -> Outcome:
        """The server may have the message: at-most-once, so only an operator resends it."""
        wall_now = self.wall_clock.now()
        claims.finish(session, prepared.message_id, "unknown", wall_now, error=error.response)
        if prepared.campaign_id:
            note_transport_error(session, prepared.campaign_id, wall_now)
        return Outcome("unknown", error.response)

    def _retry_later(
        self, session: Session, prepared: Prepared, error: TransientSendError
    ) -> Outcome:
        delay = self.backoff(prepared.attempts)
        wall_now = self.wall_clock.now()
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

    def backoff(self, attempts: int) -> timedelta:
        """Exponential with jitter, capped; attempt 1 waits about min_backoff."""
        ceiling = min(self.max_backoff, self.min_backoff * (1 << max(0, attempts - 1)))
        floor = self.min_backoff / 2
        return floor + (ceiling - floor) * random.random()
