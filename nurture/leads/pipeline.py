"""A one-thread pipeline: the importer cleans chunk N+1 while chunk N is being written.

The database does its work in its own process; while the writing thread waits for it
(the driver releases the GIL), the reading thread parses and cleans the next chunk, so
an import takes about as long as the slower of the two instead of their sum. The
session belongs to the writing thread for the pipeline's lifetime: the caller touches it
again only after `close()` (which also re-raises whatever the writer raised).
"""

from __future__ import annotations

import gc
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
_DONE = object()


class Pipeline(Generic[T]):
    def __init__(self, work: Callable[[T], None], depth: int = 2) -> None:
        self._work = work
        self._items: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="import-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._items.get()
            if item is _DONE:
                return
            if self._error is None:  # after a failure, drain without working
                try:
                    self._work(item)  # type: ignore[arg-type]
                except BaseException as error:  # re-raised in the caller's thread
                    self._error = error

    def put(self, item: T) -> None:
        if self._error is not None:
            self.close()
        self._items.put(item)

    def close(self) -> None:
        self._stop()
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _stop(self) -> None:
        if self._thread.is_alive():
            self._items.put(_DONE)
            self._thread.join()

    def __enter__(self) -> Pipeline[T]:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
            return
        self._stop()  # the caller failed: its exception wins; the writer's is logged
        if self._error is not None:
            log.error("the import writer failed as well: %r", self._error)


@contextmanager
def without_cycle_collector() -> Iterator[None]:
    """Pause Python's cycle collector for an import (it halves the reading time).

    The import keeps an index of every address and allocates millions of small objects
    that form no reference cycles; the collector would otherwise rescan the growing
    index every few hundred allocations. Reference counting still frees everything.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
