"""The machine's raw limit: a bare Dramatiq actor sending one pre-rendered message over a
reused SMTP connection. Imported by `dramatiq bench.raw_sender` in worker processes.

The message is the very bytes nurture produces for the benchmark campaign's step (file
named by NURTURE_BENCH_PAYLOAD), so the comparison differs only in the per-message work.
"""

from __future__ import annotations

import os
import smtplib
import threading
from pathlib import Path
from urllib.parse import urlsplit

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker

REDIS_URL = os.environ["NURTURE_REDIS_URL"]
NAMESPACE = os.environ["NURTURE_REDIS_NAMESPACE"]
SMTP = urlsplit(os.environ["NURTURE_SMTP_URL"])

broker = RedisBroker(url=REDIS_URL, namespace=NAMESPACE)
dramatiq.set_broker(broker)
_local = threading.local()
_counter = redis.Redis.from_url(REDIS_URL)

PAYLOAD = Path(os.environ["NURTURE_BENCH_PAYLOAD"]).read_bytes()


def _connection() -> smtplib.SMTP:
    connection: smtplib.SMTP | None = getattr(_local, "smtp", None)
    if connection is None:
        connection = smtplib.SMTP(SMTP.hostname or "127.0.0.1", SMTP.port or 25, timeout=15)
        _local.smtp = connection
    return connection


@dramatiq.actor(queue_name="raw", max_retries=0)
def send_raw(number: int) -> None:
    _connection().sendmail("bench@acme.example", [f"lead{number}@example.com"], PAYLOAD)
    _counter.incr(f"{NAMESPACE}:sent")
