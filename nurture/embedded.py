"""The embedded broker's worker: with no Redis, the process that queues also sends.

Used by `nurture demo` and by `nurture scheduler` when NURTURE_REDIS_URL is unset, so
one command on the embedded defaults does the whole job.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dramatiq
from dramatiq.brokers.stub import StubBroker

from nurture.actors import SEND_QUEUE
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


def drain(rt: Runtime, worker: dramatiq.Worker | None) -> None:
    """Wait until everything queued so far is sent (embedded broker only)."""
    if worker is not None:
        assert isinstance(rt.broker, StubBroker)
        rt.broker.join(SEND_QUEUE, fail_fast=False)
        worker.join()
