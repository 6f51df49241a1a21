"""The sender's database work, behind one small interface with two implementations.

The sender claims a few rows at a time (`nurture.sending.sender.CLAIM_GROUP`), recording
the sends since its last claim and reading what the send-time checks need, in one commit.
That is the hottest path in nurture: profiled, SQLAlchemy's statement machinery cost more
CPU per message than rendering the mail (≈ 120 µs per statement through a Session against
≈ 30 µs through the driver), and every round trip to the server costs ≈ 40 µs of CPU
more (system calls, and the GIL handed over and taken back under eight threads). So
PostgreSQL gets one hand-written statement per group on the driver connection, in
autocommit: the previous outcomes and their events, the claims, the leads, the facts and
the suppressions, where a transaction per message took five round trips (BEGIN, three
statements, COMMIT). Every other database (SQLite, the embedded default) gets the
portable SQLAlchemy Core version in a transaction, a statement at a time. Both run under
every integration test (the `engine` fixture uses each database).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.engine import Connection
from sqlalchemy.orm import configure_mappers

from nurture.models import Lead, Message
from nurture.sending.checks import SendFacts


@dataclass(frozen=True)
class Claimed:
    """A claimed row and its lead, as snapshots (transient objects, never flushed)."""

    row: Message
    lead: Lead | None  # None: erased since the message was queued
    facts: SendFacts | None


@dataclass(frozen=True)
class SentRecord:
    message_id: int
    response: str
    tracked: bool
    campaign_id: str | None
    reset_campaign_failures: bool


def snapshot(model: type[Any], values: dict[str, Any]) -> Any:
    """A detached model instance holding `values`, made the way the ORM's loader makes
    them (no attribute events, no session): ten times cheaper than calling __init__."""
    mapper = model.__mapper__
    if not mapper.configured:  # a fresh worker process may not have used the ORM yet
        configure_mappers()
    instance = mapper.class_manager.new_instance()
    instance.__dict__.update(values)
    return instance


class SendStore(Protocol):
    def open(self, connection: Connection, message_ids: Sequence[int]) -> Mapping[int, str]:
        """Get the batch's connection ready for `claim`; returns the recipients' addresses
        it already knows, by message id, to pass back to `claim` (it may know none)."""

    def claim(
        self,
        connection: Connection,
        message_ids: Sequence[int],
        *,
        after: Sequence[SentRecord],
        now: datetime,
        wall_now: datetime,
        suppression_key: str,
        addresses: Mapping[int, str],
    ) -> dict[int, Claimed]:
        """Record `after` (the sends since the last claim), then move these rows `queued`
        → `sending` and read their send-time facts: one commit, for all of it. Returns
        the rows claimed, by id; one that is not claimable is missing."""

    def record_sent(
        self,
        connection: Connection,
        sent: Sequence[SentRecord],
        now: datetime,
        wall_now: datetime,
    ) -> None:
        """`sending` → `sent` and the `email_sent` event, for each row still ours, in the
        caller's transaction."""
