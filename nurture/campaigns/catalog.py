"""The campaigns on disk, reloaded when a file changes (workers and scheduler share it)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from nurture.campaigns.registry import CampaignSet, load_campaigns


def _signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    if not folder.is_dir():
        return ()
    return tuple(
        sorted(
            (path.name, path.stat().st_mtime_ns, path.stat().st_size)
            for path in folder.glob("*.y*ml")
        )
    )


class CampaignCatalog:
    """The campaigns as they are on disk now (`catalog()`: a directory listing, and a
    reload only when a file changed), or as of at most a second ago (`catalog.cached()`,
    for the sender, which asks for every message)."""

    def __init__(self, folder: Path, recheck_after: float = 1.0) -> None:
        self.folder = folder
        self.recheck_after = recheck_after
        self._lock = threading.Lock()
        self._signature: tuple[tuple[str, int, int], ...] | None = None
        self._checked_at = float("-inf")
        self._current = CampaignSet(campaigns={}, problems=[])

    def __call__(self) -> CampaignSet:
        return self._get(max_age=0.0)

    def cached(self) -> CampaignSet:
        return self._get(max_age=self.recheck_after)

    def _get(self, max_age: float) -> CampaignSet:
        with self._lock:
            now = time.monotonic()
            if now - self._checked_at < max_age:
                return self._current
            signature = _signature(self.folder)
            if signature != self._signature:
                self._current = load_campaigns(self.folder)
                self._signature = signature
            self._checked_at = now
            return self._current
