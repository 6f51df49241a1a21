"""Where the web process puts hits until the drainer writes them to the database.

Contract of every buffer: `append` returns only once the hit survives the death of the
calling process; `read` hands out hits in order without removing them; `ack` removes
what a committed batch contained. A drainer that dies between its commit and `ack`
sees the same hits again, and the database's hit ids turn them into no-ops.

`RedisBuffer` is used when NURTURE_REDIS_URL is set: a stream under the installation's
namespace, readable by a drainer on any host. If Redis refuses a write, the hit goes to
the local spool instead (logged), which the drainer reads too: a Redis outage costs no
hit, and no click ever fails because of tracking.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import redis

from nurture.tracking.hits import BadHit, Hit, decode

log = logging.getLogger(__name__)


@dataclass
class Batch:
    hits: list[Hit] = field(default_factory=list)
    malformed: int = 0  # lines that are not hits (torn by a power loss); consumed
    receipt: Any = None  # the buffer's own record of what `ack` removes


class HitBuffer(Protocol):
    name: str

    def append(self, hit: Hit) -> None: ...

    def exclusive(self) -> AbstractContextManager[bool]:
        """True while this caller is the only drainer (others get False and skip)."""
        ...

    def read(self, limit: int) -> Batch: ...

    def ack(self, batch: Batch) -> None: ...

    def release(self, batch: Batch) -> None:
        """Give back a batch whose recording failed: its hits stay buffered."""
        ...


# Deletes the lock only if it is still ours (it may have expired and been taken over).
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


class RedisBuffer:
    name = "redis"

    def __init__(
        self,
        client: redis.Redis,
        namespace: str,
        fallback: HitBuffer | None = None,
        lock_seconds: int = 60,
    ) -> None:
        self._client = client
        self.key = f"{namespace}:tracking:hits"
        self._lock_key = f"{namespace}:tracking:drain-lock"
        self._fallback = fallback
        self._lock_ms = lock_seconds * 1000

    def append(self, hit: Hit) -> None:
        try:
            self._client.xadd(self.key, {"h": hit.encode()})
        except redis.RedisError:
            if self._fallback is None:
                raise
            log.warning("Redis refused a tracking hit; spooled locally", exc_info=True)
            self._fallback.append(hit)

    @contextmanager
    def exclusive(self) -> Iterator[bool]:
        token = secrets.token_hex(8)
        mine = bool(self._client.set(self._lock_key, token, nx=True, px=self._lock_ms))
        try:
            yield mine
        finally:
            if mine:
                self._client.eval(_RELEASE, 1, self._lock_key, token)

    def read(self, limit: int) -> Batch:
        batch = Batch(receipt=[])
        entries: list[tuple[bytes, dict[bytes, bytes]]] = self._client.xrange(  # type: ignore[assignment]
            self.key, "-", "+", count=limit
        )
        for entry_id, fields in entries:
            batch.receipt.append(entry_id)
            try:
                batch.hits.append(decode(fields[b"h"]))
            except (BadHit, KeyError):
                batch.malformed += 1
        return batch

    def ack(self, batch: Batch) -> None:
        ids = batch.receipt or []
        for start in range(0, len(ids), 1000):
            self._client.xdel(self.key, *ids[start : start + 1000])

    def release(self, batch: Batch) -> None:
        """Nothing is held: unacknowledged entries simply stay in the stream."""

    def pending(self) -> int:
        return int(self._client.xlen(self.key))
