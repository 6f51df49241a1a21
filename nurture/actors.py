"""Thin Dramatiq actors: each call opens its units of work through one service.

Actors are declared per broker (not at import time on a global one) so the composition
root decides which broker they live on, and tests can run several side by side.
Retries of SMTP errors are the sender's business (it knows the row's attempts and the
backoff); Dramatiq's own retries only cover crashes before a send (a row is claimed
once, so a retried message never sends twice).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import dramatiq

from nurture.gdpr.notices import ErasureNotifier
from nurture.handoff.deliver import Deliverer
from nurture.scoring.service import ScoreUpdater
from nurture.sending.sender import Sender
from nurture.webhooks.deliver import WebhookDeliverer

SEND_QUEUE = "nurture-send"
# Ids per broker message (deliveries and webhooks): one Redis round trip per chunk instead
# of per item.
CHUNK = 25
# Mail goes in chunks of up to MAX_SEND_CHUNK ids: the broker's fetch and ack per chunk
# cost a worker 8% of its CPU at 25 ids a chunk (measured: 929 against 1,009 mails/s at
# 100). A short list is still cut into SEND_SPREAD chunks, so that many threads share it.
MAX_SEND_CHUNK = 100
SEND_SPREAD = 16
# A chunk that has run this long hands the rest of its ids back to the queue: a slow SMTP
# server never brings a chunk near Dramatiq's time limit (`time_limit` below).
SEND_BUDGET = timedelta(minutes=2)
_OPTIONS: dict[str, Any] = {
    "queue_name": SEND_QUEUE,
    "max_retries": 3,  # Dramatiq's default is 20 retries over 7 days: wrong for mail
    "min_backoff": 1_000,
    "max_backoff": 60_000,
    "time_limit": 10 * 60_000,
}
SCORE_QUEUE = "nurture-score"
HANDOFF_QUEUE = "nurture-handoff"
SCORE_CHUNK = 100  # leads per score message: one transaction scores them together
# Retries cover crashes and lock conflicts (a score update is idempotent); a delivery's
# own backoff (its row counts attempts) is the deliverer's, like the sender's.
_SCORE_OPTIONS: dict[str, Any] = {
    "queue_name": SCORE_QUEUE,
    "max_retries": 5,
    "min_backoff": 1_000,
    "max_backoff": 60_000,
    "time_limit": 5 * 60_000,
}
_HANDOFF_OPTIONS: dict[str, Any] = {**_OPTIONS, "queue_name": HANDOFF_QUEUE}
WEBHOOK_QUEUE = "nurture-webhooks"  # marketers' outgoing webhooks (nurture.webhooks)
_WEBHOOK_OPTIONS: dict[str, Any] = {**_OPTIONS, "queue_name": WEBHOOK_QUEUE}


def send_chunk_size(count: int) -> int:
    """Ids per broker message for a list of `count` mails (see MAX_SEND_CHUNK)."""
    return max(1, min(MAX_SEND_CHUNK, -(-count // SEND_SPREAD)))


class Actors:
    def __init__(
        self,
        broker: dramatiq.Broker,
        sender: Callable[[], Sender],
        scorer: Callable[[], ScoreUpdater] | None = None,
        deliverer: Callable[[], Deliverer] | None = None,
        webhooks: Callable[[], WebhookDeliverer] | None = None,
        notifier: Callable[[], ErasureNotifier] | None = None,
    ) -> None:
        self._sender = sender
        self._scorer, self._deliverer = scorer, deliverer
        declare = dramatiq.actor(broker=broker, actor_name="send_messages", **_OPTIONS)
        self.send_messages = declare(self._send_messages)
        declare = dramatiq.actor(broker=broker, actor_name="update_scores", **_SCORE_OPTIONS)
        self.update_scores = declare(self._update_scores)
        declare = dramatiq.actor(broker=broker, actor_name="deliver_handoffs", **_HANDOFF_OPTIONS)
        self.deliver_handoffs = declare(self._deliver_handoffs)
        self._webhooks = webhooks
        declare = dramatiq.actor(broker=broker, actor_name="deliver_webhooks", **_WEBHOOK_OPTIONS)
        self.deliver_webhooks = declare(self._deliver_webhooks)
        self._notifier = notifier  # GDPR art. 19 notices to the recipients of an erased lead
        declare = dramatiq.actor(
            broker=broker, actor_name="deliver_erasure_notices", **_WEBHOOK_OPTIONS
        )
        self.deliver_erasure_notices = declare(self._deliver_erasure_notices)

    def _send_messages(self, message_ids: list[int]) -> None:
        outcomes = self._sender().deliver_many(message_ids, budget=SEND_BUDGET)
        for message_id, outcome in zip(message_ids, outcomes, strict=False):
            if outcome.retry_in is not None:
                delay_ms = int(outcome.retry_in.total_seconds() * 1000)
                self.send_messages.send_with_options(args=([message_id],), delay=delay_ms)
        if len(outcomes) < len(message_ids):  # out of time: the rest waits its turn again
            self.send_messages.send(message_ids[len(outcomes) :])

    def enqueue(self, message_ids: Sequence[int]) -> None:
        size = send_chunk_size(len(message_ids))
        for start in range(0, len(message_ids), size):
            self.send_messages.send(list(message_ids[start : start + size]))

    def _update_scores(self, lead_ids: list[int]) -> None:
        if self._scorer is None:
            raise RuntimeError("no score updater wired into these actors")
        self._scorer().update(lead_ids)

    def _deliver_handoffs(self, delivery_ids: list[int]) -> None:
        if self._deliverer is None:
            raise RuntimeError("no hand-off deliverer wired into these actors")
        deliverer = self._deliverer()
        for delivery_id in delivery_ids:
            retry_in = deliverer.deliver(delivery_id)
            if retry_in is not None:
                delay_ms = int(retry_in.total_seconds() * 1000)
                self.deliver_handoffs.send_with_options(args=([delivery_id],), delay=delay_ms)

    def enqueue_score_updates(self, lead_ids: Sequence[int]) -> None:
        """Rescore these leads soon: call after committing their new events."""
        ids = sorted(set(lead_ids))
        for start in range(0, len(ids), SCORE_CHUNK):
            self.update_scores.send(ids[start : start + SCORE_CHUNK])

    def enqueue_deliveries(self, delivery_ids: Sequence[int]) -> None:
        for start in range(0, len(delivery_ids), CHUNK):
            self.deliver_handoffs.send(list(delivery_ids[start : start + CHUNK]))

    def _deliver_webhooks(self, delivery_ids: list[int]) -> None:
        if self._webhooks is None:
            raise RuntimeError("no webhook deliverer wired into these actors")
        deliverer = self._webhooks()
        for delivery_id in delivery_ids:
            retry_in = deliverer.deliver(delivery_id)
            if retry_in is not None:
                delay_ms = int(retry_in.total_seconds() * 1000)
                self.deliver_webhooks.send_with_options(args=([delivery_id],), delay=delay_ms)

    def enqueue_webhooks(self, delivery_ids: Sequence[int]) -> None:
        for start in range(0, len(delivery_ids), CHUNK):
            self.deliver_webhooks.send(list(delivery_ids[start : start + CHUNK]))

    def _deliver_erasure_notices(self, notice_ids: list[int]) -> None:
        if self._notifier is None:
            raise RuntimeError("no erasure notifier wired into these actors")
        notifier = self._notifier()
        for notice_id in notice_ids:
            retry_in = notifier.deliver(notice_id)
            if retry_in is not None:
                delay_ms = int(retry_in.total_seconds() * 1000)
                self.deliver_erasure_notices.send_with_options(args=([notice_id],), delay=delay_ms)

    def enqueue_erasure_notices(self, notice_ids: Sequence[int]) -> None:
        for start in range(0, len(notice_ids), CHUNK):
            self.deliver_erasure_notices.send(list(notice_ids[start : start + CHUNK]))
