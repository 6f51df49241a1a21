"""Time as a dependency: the scheduler's `--now`, the demo's fast clock, and real time."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that only moves when told to (tests, `scheduler --now`)."""

    current: datetime

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> datetime:
        self.current += delta
        return self.current


@dataclass
class VirtualClock:
    """Runs `speed` times faster than real time from `start` (the demo's clock)."""

    start: datetime
    speed: float
    _origin: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> datetime:
        with self._lock:
            elapsed = time.monotonic() - self._origin
        return self.start + timedelta(seconds=elapsed * self.speed)


def parse_instant(text: str) -> datetime:
    """ISO 8601 from the command line; a value without offset is taken as UTC."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
