"""The sender's database work, behind one small interface with two implementations.

Per message the sender claims the row and reads what the send-time checks need, then
records the outcome. That is the hottest path in nurture: profiled, SQLAlchemy's
statement machinery cost more CPU per message than rendering the mail (≈ 120 µs per
statement through a Session against ≈ 30 µs through the driver). So PostgreSQL gets
hand-written SQL on the driver connection of the same transaction — the claim, the lead
and the facts in one statement, the outcome and its event in another — and every other
database (SQLite, the embedded default) the portable SQLAlchemy Core version. Both run
under every integration test (the `engine` fixture uses each database).
"""

from __future__ import annotations

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
    def claim(
        self, connection: Connection, message_id: int, wall_now: datetime, suppression_key: str
    ) -> Claimed | None:
        """`queued` → `sending` plus the send-time facts; None when not claimable."""

    def record_sent(
        self, connection: Connection, sent: SentRecord, now: datetime, wall_now: datetime
    ) -> None:
        """`sending` → `sent` and the `email_sent` event (only if the row was still ours)."""
