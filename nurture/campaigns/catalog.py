"""The campaigns on disk, reloaded when a file changes (workers and scheduler share it)."""

from __future__ import annotations

import threading
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
    """Cheap to call per message: a directory listing, and a reload only on change."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._signature: tuple[tuple[str, int, int], ...] | None = None
        self._current = CampaignSet(campaigns={}, problems=[])

    def __call__(self) -> CampaignSet:
        signature = _signature(self.folder)
        with self._lock:
            if signature != self._signature:
                self._current = load_campaigns(self.folder)
                self._signature = signature
            return self._current
