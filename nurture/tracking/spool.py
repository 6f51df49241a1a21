"""The local hit buffer: append-only spool files, one per writing process at a time.

Writing: a process appends one line per hit with a single `write(2)` on a file opened
with O_APPEND, which it holds an exclusive `flock` on for as long as it writes to it.
Once `write` returns, the line is in the kernel's page cache: it survives the death of
the process (crash, SIGKILL, OOM kill). A file is retired (fsync'ed, closed, never
opened for writing again) after `rotate_seconds` or when the process exits.

Durability against power loss (fsync policy): by default each file is fsync'ed when it
is retired, and the kernel writes dirty pages back within about 30 s, so a power cut
can lose the hits of the last seconds. NURTURE_TRACKING_FSYNC=true fsyncs every hit
(nothing lost once answered, at the cost of a disk flush per request).

Draining: a file nobody holds the lock of is finished (its writer retired it or died):
it is read to the end and deleted after the batch committed. A file still being written
is read up to its last complete line, and how far is kept beside it (`<file>.offset`,
replaced atomically after each committed batch) so that whichever process drains next
goes on from there. A drainer dying between its commit and that write re-reads a few
lines: the database's hit ids absorb them.
"""

from __future__ import annotations

import atexit
import fcntl
import logging
import os
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from nurture.tracking.buffer import Batch
from nurture.tracking.hits import BadHit, Hit, decode

log = logging.getLogger(__name__)


@dataclass
class _Active:
    fd: int
    pid: int
    opened: float


@dataclass
class _Piece:
    path: Path
    fd: int
    finished: bool  # we hold its lock: no writer will ever append again
    start: int  # offset of the first line taken
    end: int  # offset after the last line taken
    whole: bool  # everything up to the end of the file was taken


class SpoolBuffer:
    name = "spool"

    def __init__(self, directory: Path, fsync_each: bool = False, rotate_seconds: float = 60.0):
        self.directory = directory
        self._fsync_each = fsync_each
        self._rotate = rotate_seconds
        self._lock = threading.Lock()
        self._active: _Active | None = None
        self._exit_hook = False

    # -- writing (web processes) --------------------------------------------------------

    def append(self, hit: Hit) -> None:
        line = hit.encode() + b"\n"
        with self._lock:
            active = self._writable()
            os.write(active.fd, line)
            if self._fsync_each:
                os.fsync(active.fd)

    def _writable(self) -> _Active:
        active, now = self._active, time.monotonic()
        if active is not None and active.pid != os.getpid():
            os.close(active.fd)  # inherited over fork: the parent's file, not ours
            active = self._active = None
        if active is not None and now - active.opened >= self._rotate:
            self._retire(active)
            active = self._active = None
        if active is None:
            active = self._active = _Active(self._open_new(), os.getpid(), now)
        return active

    def _open_new(self) -> int:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        stem = f"{os.getpid()}-{time.time_ns()}-{secrets.token_hex(3)}"
        temporary = self.directory / f".{stem}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        # Locked before it gets the name drainers look for: never seen unlocked and empty.
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.rename(temporary, self.directory / f"hits-{stem}.jsonl")
        if not self._exit_hook:
            atexit.register(self.close)
            self._exit_hook = True
        return fd

    def _retire(self, active: _Active) -> None:
        os.fsync(active.fd)
        os.close(active.fd)  # releases the lock: the file is now the drainer's

    def close(self) -> None:
        with self._lock:
            if self._active is not None and self._active.pid == os.getpid():
                self._retire(self._active)
            self._active = None

    # -- draining -------------------------------------------------------------------------

    @contextmanager
    def exclusive(self) -> Iterator[bool]:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.directory / ".drain.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            mine = True
        except BlockingIOError:
            mine = False
        try:
            yield mine
        finally:
            os.close(fd)

    def read(self, limit: int) -> Batch:
        batch = Batch(receipt=[])
        paths = sorted(self.directory.glob("hits-*.jsonl"))
        for orphan in self.directory.glob("hits-*.offset"):
            if not orphan.with_suffix(".jsonl").exists():  # its file went, then we died
                orphan.unlink(missing_ok=True)
        for path in paths:
            if len(batch.hits) >= limit:
                break
            piece = self._take(path, limit - len(batch.hits), batch)
            if piece is not None:
                batch.receipt.append(piece)
        return batch

    def _take(self, path: Path, limit: int, batch: Batch) -> _Piece | None:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return None  # another drainer finished it
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            finished = True
        except BlockingIOError:
            finished = False
        start = _read_offset(path)
        end, whole = _lines(path, fd, start, limit, finished, batch)
        return _Piece(path, fd, finished, start, end, whole)

    def ack(self, batch: Batch) -> None:
        for piece in batch.receipt or []:
            if piece.finished and piece.whole:
                piece.path.unlink(missing_ok=True)
                piece.path.with_suffix(".offset").unlink(missing_ok=True)
            elif piece.end != piece.start:
                _write_offset(piece.path, piece.end)
            os.close(piece.fd)

    def release(self, batch: Batch) -> None:
        """Give back what a failed batch held, without consuming anything."""
        for piece in batch.receipt or []:
            os.close(piece.fd)


def _lines(
    path: Path, fd: int, start: int, limit: int, finished: bool, batch: Batch
) -> tuple[int, bool]:
    """Complete lines from `start`: (offset after the last taken, whether that is the end)."""
    with os.fdopen(os.dup(fd), "rb") as stream:
        stream.seek(start)
        end, taken = start, 0
        while taken < limit:
            line = stream.readline()
            if not line or (not line.endswith(b"\n") and not finished):
                return end, True  # the end, or a line its writer is still writing
            end += len(line)
            taken += 1
            try:
                batch.hits.append(decode(line))
            except BadHit:
                batch.malformed += 1
                log.warning("%s: the line at byte %d is not a hit", path.name, end - len(line))
        return end, not stream.read(1)


def _read_offset(path: Path) -> int:
    try:
        return int(path.with_suffix(".offset").read_text())
    except (FileNotFoundError, ValueError):
        return 0  # never drained (or a torn offset): start over, the hit ids dedupe


def _write_offset(path: Path, offset: int) -> None:
    target = path.with_suffix(".offset")
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_text(str(offset))
    os.replace(temporary, target)
