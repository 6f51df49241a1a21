"""The Dramatiq broker: Redis when configured, else the embedded in-process broker."""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker

from nurture.config import Settings


def make_broker(settings: Settings) -> dramatiq.Broker:
    if settings.redis_url:
        # The namespace prefixes every key, so several installations (or test runs) can
        # share one Redis.
        return RedisBroker(  # type: ignore[no-untyped-call]
            url=settings.redis_url, namespace=settings.redis_namespace
        )
    # One process only: the demo and development. Messages live in this process's memory.
    broker = StubBroker()
    broker.emit_after("process_boot")
    return broker


def broker_status(broker: dramatiq.Broker) -> dict[str, str]:
    if isinstance(broker, RedisBroker):
        try:
            broker.client.ping()
        except Exception as error:  # any failure means "down" for a health check
            return {"broker": "redis", "status": "down", "error": type(error).__name__}
        return {"broker": "redis", "status": "ok"}
    return {"broker": "in-process", "status": "ok"}
