"""Thin Dramatiq actors: each call opens its units of work through one service.

Actors are declared per broker (not at import time on a global one) so the composition
root decides which broker they live on, and tests can run several side by side.
Retries of SMTP errors are the sender's business (it knows the row's attempts and the
backoff); Dramatiq's own retries only cover crashes before a send (a row is claimed
once, so a retried message never sends twice).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import dramatiq

from nurture.sending.sender import Sender

SEND_QUEUE = "nurture-send"
# Ids per broker message: the scheduler enqueues thousands of steps per pass; one Redis
# round trip per chunk instead of per message.
CHUNK = 10
_OPTIONS: dict[str, Any] = {
    "queue_name": SEND_QUEUE,
    "max_retries": 3,  # Dramatiq's default is 20 retries over 7 days: wrong for mail
    "min_backoff": 1_000,
    "max_backoff": 60_000,
    "time_limit": 10 * 60_000,
}


class Actors:
    def __init__(self, broker: dramatiq.Broker, sender: Callable[[], Sender]) -> None:
        self._sender = sender
        declare = dramatiq.actor(broker=broker, actor_name="send_messages", **_OPTIONS)
        self.send_messages = declare(self._send_messages)

    def _send_messages(self, message_ids: list[int]) -> None:
        sender = self._sender()
        for message_id in message_ids:
            outcome = sender.deliver(message_id)
            if outcome.retry_in is not None:
                delay_ms = int(outcome.retry_in.total_seconds() * 1000)
                self.send_messages.send_with_options(args=([message_id],), delay=delay_ms)

    def enqueue(self, message_ids: Sequence[int]) -> None:
        for start in range(0, len(message_ids), CHUNK):
            self.send_messages.send(list(message_ids[start : start + CHUNK]))
