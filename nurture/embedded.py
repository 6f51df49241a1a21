"""The embedded broker's worker: with no Redis, the process that queues also sends.

Used by `nurture demo` and by `nurture scheduler` when NURTURE_REDIS_URL is unset, so
one command on the embedded defaults does the whole job.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import dramatiq
from dramatiq.brokers.stub import StubBroker

from nurture.runtime import Runtime


@contextmanager
def embedded_worker(rt: Runtime, threads: int = 4) -> Iterator[dramatiq.Worker | None]:
    """A worker in this process when the broker is the in-process one; else nothing."""
    if not isinstance(rt.broker, StubBroker):
        yield None
        return
    dramatiq.set_broker(rt.broker)
    rt.actors  # noqa: B018 - declares the actors on the in-process broker
    worker = dramatiq.Worker(rt.broker, worker_threads=threads, worker_timeout=100)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


def drain(rt: Runtime, worker: dramatiq.Worker | None, poll: float = 0.02) -> None:
    """Wait until everything queued so far is done — mail, scores, hand-offs, webhooks,
    and the work they queue in turn (embedded broker only).

    Retries waiting out a backoff are not waited for: their rows stay `queued` in the
    database and the next scheduler pass hands them over again, so `scheduler --once`
    never sits through an hour-long backoff.
    """
    if worker is None:
        return
    broker = rt.broker
    assert isinstance(broker, StubBroker)
    idle_checks = 0
    while idle_checks < 2:  # idle twice in a row: nothing was in flight between queues
        busy = any(
            queue.unfinished_tasks
            for name, queue in broker.queues.items()
            if not name.endswith(".DQ")
        )
        idle_checks = 0 if busy else idle_checks + 1
        time.sleep(poll)
