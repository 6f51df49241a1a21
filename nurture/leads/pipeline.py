"""The importer's pipeline: one thread reads and cleans while writer threads write.

The database does its work in its own processes; while a writing thread waits for one
(the driver releases the GIL), the reading thread parses and cleans the next chunk, so
an import takes about as long as the slower side instead of the sum of both. Each
writer is a callable with its own connection: several of them take items from one
queue, in order, one item each at a time. A writer's connection belongs to its thread
for the pipeline's lifetime: the caller touches it again only after `close()` (which
also re-raises the first error a writer raised).
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
    def __init__(self, *writers: Callable[[T], None]) -> None:
        if not writers:
            raise ValueError("a pipeline needs at least one writer")
        # Room for one item per writer plus the one being read: every writer stays busy
        # while the reader is ahead, and at most that many chunks wait in memory.
        self._items: queue.Queue[object] = queue.Queue(maxsize=len(writers) + 1)
        self._error: BaseException | None = None
        self._cancelled = False  # the caller failed (or was interrupted): write no more
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(
                target=self._run,
                args=(work,),
                name="import-writer" if i == 0 else f"import-writer-{i + 1}",
                daemon=True,
            )
            for i, work in enumerate(writers)
        ]
        for thread in self._threads:
            thread.start()

    def _run(self, work: Callable[[T], None]) -> None:
        while True:
            item = self._items.get()
            if item is _DONE:
                return
            if self._error is None and not self._cancelled:  # else drain without working
                try:
                    work(item)  # type: ignore[arg-type]
                except BaseException as error:  # re-raised in the caller's thread
                    self._failed(error)

    def _failed(self, error: BaseException) -> None:
        with self._lock:
            if self._error is not None:  # the first error is the one the caller sees
                log.error("another import writer failed as well: %r", error)
                return
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
        alive = [thread for thread in self._threads if thread.is_alive()]
        for _ in alive:
            self._items.put(_DONE)
        for thread in alive:
            thread.join()

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
        self._cancelled = True  # the chunks still queued are not written
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
