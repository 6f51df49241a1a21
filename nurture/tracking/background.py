"""A drainer thread inside each web process (NURTURE_TRACKING_DRAIN_INTERVAL seconds).

Started on the first hit a process answers, not at import: gunicorn may fork after the
app is built, and threads do not survive a fork. The buffers' exclusive lock keeps the
threads of several workers from draining the same buffer at once. Dying with its process
mid-batch is the crash the drainer is built for: the next drain records those hits; on
a normal exit the thread finishes its batch first (and releases the buffer's lock).

The thread drains in the gaps. Writing a batch costs about as much CPU as answering the
hits in it, and it shares the process (and its GIL) with the requests: so while hits
keep arriving it waits, up to `max_delay` since its last drain, and lets the buffer
absorb the burst — which is what the buffer is for. Under sustained load it still drains
every `max_delay` seconds; when traffic pauses for `quiet` seconds it drains at once.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time

from nurture.tracking.drain import Drainer

log = logging.getLogger(__name__)


def drain_due(
    now: float, last_hit: float, last_drain: float, quiet: float, max_delay: float
) -> bool:
    """Drain now? When hits paused for `quiet` seconds, or the last drain is too old."""
    return now - last_hit >= quiet or now - last_drain >= max_delay


class BackgroundDrainer:
    def __init__(
        self, drainer: Drainer, interval: float, quiet: float = 1.0, max_delay: float = 30.0
    ) -> None:
        self._drainer = drainer
        self._interval = interval
        self._quiet, self._max_delay = quiet, max_delay
        self._pid: int | None = None
        self._stop = threading.Event()
        self._guard = threading.Lock()
        self._thread: threading.Thread | None = None
        self._last_hit = self._last_drain = time.monotonic()

    def note_hit(self) -> None:
        """Called by the handlers on every hit: starts the thread once per process."""
        self._last_hit = time.monotonic()
        if self._pid != os.getpid() and self._interval > 0:
            self._start()

    def _start(self) -> None:
        with self._guard:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                self._stop = threading.Event()
                self._last_drain = time.monotonic()
                name = "nurture-tracking-drainer"
                self._thread = threading.Thread(target=self._run, name=name, daemon=True)
                self._thread.start()
                atexit.register(self.stop)

    def _run(self) -> None:
        stop = self._stop
        while not stop.wait(self._interval):
            now = time.monotonic()
            if not drain_due(now, self._last_hit, self._last_drain, self._quiet, self._max_delay):
                continue
            try:
                self._drainer.drain()
            except Exception:
                log.exception("draining tracking hits failed; they stay buffered")
            self._last_drain = time.monotonic()

    def stop(self, timeout: float = 20.0) -> None:
        """Let the current batch finish, then end the thread (of this process)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and self._pid == os.getpid() and thread.is_alive():
            thread.join(timeout)
        self._pid = None
