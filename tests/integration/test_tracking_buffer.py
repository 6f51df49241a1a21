"""The hit buffer survives crashes: of the web process, and of the drainer mid-batch."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis

from nurture.db import SessionFactory
from nurture.runtime import Runtime
from nurture.tracking.buffer import Batch, HitBuffer, RedisBuffer
from nurture.tracking.drain import Drainer
from nurture.tracking.recorder import Request
from nurture.tracking.spool import SpoolBuffer
from tests import services
from tests.conftest import TEST_KEYS, RuntimeFactory
from tests.smtp_server import free_port
from tests.tracking_support import CHROME, count_events, sent_message, tracked_lead

SENT = datetime.now(UTC) - timedelta(hours=1)  # the drainer compares with the wall clock
REQUEST = Request("GET", "198.51.100.23", CHROME)


class Crash(BaseException):
    """The process dies here: nothing after this line runs, nothing handles it."""


@pytest.fixture(params=["spool+sqlite", "spool+postgresql", "redis+postgresql"])
def rt(request: pytest.FixtureRequest, make_runtime: RuntimeFactory, tmp_path: Path) -> Runtime:
    """The local spool on SQLite and PostgreSQL; Redis on PostgreSQL."""
    if request.param == "spool+sqlite":
        template: services.SqliteTemplate = request.getfixturevalue("sqlite_template")
        return make_runtime(template.fresh(tmp_path), tracking_drain_interval=0)
    pg_url = request.getfixturevalue("pg_url")
    if request.param == "spool+postgresql":
        return make_runtime(pg_url, tracking_drain_interval=0)
    return make_runtime(
        pg_url,
        redis_url=services.REDIS_URL,
        redis_namespace=request.getfixturevalue("redis_namespace"),
        tracking_buffer="redis",
        tracking_drain_interval=0,
    )


def click_token(rt: Runtime, n: int = 0) -> str:
    lead = tracked_lead(rt, f"lead{n}@example.com", SENT - timedelta(days=1))
    message = sent_message(rt, lead, SENT)
    return rt.tracking.tokens.sign("click", ["m", message, f"https://acme.example/{n}"])


CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    import redis
    from nurture.clock import SystemClock
    from nurture.consent.tokens import Tokens
    from nurture.tracking.buffer import RedisBuffer
    from nurture.tracking.recorder import HitRecorder, Request
    from nurture.tracking.spool import SpoolBuffer

    keys, spool_dir, redis_url, namespace, token, count = sys.argv[1:]
    buffer = SpoolBuffer(Path(spool_dir))
    if redis_url:
        buffer = RedisBuffer(redis.Redis.from_url(redis_url), namespace, buffer)
    recorder = HitRecorder(Tokens(keys.split(",")), buffer, SystemClock(), SystemClock())
    for _ in range(int(count)):
        assert recorder.click(token, Request("GET", "198.51.100.23", "Chrome")) is not None
    print("answered", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # no atexit, no flush, no unlock: a crash
    """
)


def test_hits_answered_before_the_web_process_died_are_all_recorded(rt: Runtime) -> None:
    """A web process answers 50 clicks and is SIGKILLed: the next drain records all 50."""
    token = click_token(rt)
    s = rt.settings
    args = [
        ",".join(TEST_KEYS),
        str(rt.tracking.spool.directory),
        s.redis_url or "",
        s.redis_namespace,
        token,
        "50",
    ]
    child = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, check=False)
    assert child.returncode == -9, child.stderr.decode()
    assert child.stdout == b"answered\n"

    report = rt.tracking.drainer.drain()
    assert (report.read, report.recorded.events, report.failed) == (50, 50, [])
    assert count_events(rt, "email_clicked") == 50
    assert not list(rt.tracking.spool.directory.glob("hits-*"))  # the dead writer's file
    assert rt.tracking.drainer.drain().read == 0


class CrashingSessions:
    """Sessions whose commit never happens: the drainer dies inside its transaction."""

    def __init__(self, real: SessionFactory) -> None:
        self.real = real

    def __call__(self) -> object:
        session = self.real()

        def crash() -> None:
            session.flush()  # the inserts reached the database, the commit never does
            raise Crash

        session.commit = crash  # type: ignore[method-assign]
        return session


class AckCrashes:
    """A buffer whose drainer dies after its commit, before acknowledging the batch."""

    def __init__(self, inner: HitBuffer) -> None:
        self.inner, self.name = inner, inner.name

    def append(self, hit: object) -> None:
        raise AssertionError("not used")

    def exclusive(self) -> AbstractContextManager[bool]:
        return self.inner.exclusive()

    def read(self, limit: int) -> Batch:
        return self.inner.read(limit)

    def ack(self, batch: Batch) -> None:
        raise Crash

    def release(self, batch: Batch) -> None:
        self.inner.release(batch)


def _fill(rt: Runtime, clicks: int) -> None:
    token = click_token(rt)
    for _ in range(clicks):
        rt.tracking.recorder.click(token, REQUEST)


def test_a_drainer_dying_mid_batch_loses_nothing(rt: Runtime) -> None:
    """Killed inside its transaction: nothing is written, everything is drained later."""
    _fill(rt, 30)
    tracking = rt.tracking
    dying = Drainer(CrashingSessions(rt.sessions), tracking.buffers, tracking.rules)  # type: ignore[arg-type]
    with pytest.raises(Crash):
        dying.drain()
    assert count_events(rt, "email_clicked") == 0

    report = tracking.drainer.drain()
    assert (report.recorded.events, report.recorded.duplicates) == (30, 0)
    assert count_events(rt, "email_clicked") == 30


def test_a_drainer_dying_after_its_commit_records_no_duplicates(rt: Runtime) -> None:
    """Committed, then killed before acknowledging: the re-delivered hits are no-ops."""
    _fill(rt, 30)
    tracking = rt.tracking
    dying = Drainer(rt.sessions, [AckCrashes(tracking.buffers[0])], tracking.rules)
    with pytest.raises(Crash):
        dying.drain()
    assert count_events(rt, "email_clicked") == 30

    report = tracking.drainer.drain()
    assert (report.read, report.recorded.events, report.recorded.duplicates) == (30, 0, 30)
    assert count_events(rt, "email_clicked") == 30
    assert tracking.drainer.drain().read == 0


def test_batches_are_bounded_and_all_hits_arrive(rt: Runtime) -> None:
    """2,500 hits drain in batches of 1,000, each exactly once."""
    _fill(rt, 2500)
    report = rt.tracking.drainer.drain()
    assert (report.batches, report.recorded.events) == (3, 2500)


def test_a_spool_file_still_being_written_is_drained_as_it_grows(
    db_url: str, make_runtime: RuntimeFactory
) -> None:
    """Complete lines of a live file are drained; another drainer process goes on from
    the recorded offset; the file goes once its writer retires it."""
    rt = make_runtime(db_url, tracking_drain_interval=0)
    _fill(rt, 3)
    spool = rt.tracking.spool
    assert rt.tracking.drainer.drain().recorded.events == 3
    token = click_token(rt, 1)
    rt.tracking.recorder.click(token, REQUEST)
    other = Drainer(rt.sessions, [SpoolBuffer(spool.directory)], rt.tracking.rules)
    report = other.drain()
    assert (report.read, report.recorded.events, report.recorded.duplicates) == (1, 1, 0)
    rt.tracking.recorder.click(token, REQUEST)
    assert rt.tracking.drainer.drain().recorded.events == 1
    assert len(list(spool.directory.glob("hits-*.jsonl"))) == 1  # still being written
    spool.close()
    assert rt.tracking.drainer.drain().read == 0
    assert not list(spool.directory.glob("hits-*"))  # the file and its offset
    assert count_events(rt, "email_clicked") == 5


def test_a_torn_line_is_skipped_and_reported(db_url: str, make_runtime: RuntimeFactory) -> None:
    """A line cut by a power loss cannot be read: counted, logged, and the rest drains."""
    rt = make_runtime(db_url, tracking_drain_interval=0)
    _fill(rt, 2)
    rt.tracking.spool.close()
    [path] = rt.tracking.spool.directory.glob("hits-*")
    with path.open("ab") as spool_file:
        spool_file.write(b'["torn-hit","click",["m"')
    report = rt.tracking.drainer.drain()
    assert (report.recorded.events, report.malformed) == (2, 1)
    assert "1 unreadable lines skipped" in report.describe()


def test_hits_go_to_the_spool_while_redis_is_down(
    pg_url: str, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    """Redis refusing writes costs no hit: they are spooled and drained from the spool."""
    rt = make_runtime(pg_url, tracking_drain_interval=0)
    dead = redis.Redis(port=free_port(), socket_connect_timeout=0.5)
    buffers: list[HitBuffer] = [RedisBuffer(dead, "down", rt.tracking.spool), rt.tracking.spool]
    token = click_token(rt)
    rt.tracking.recorder.buffer = buffers[0]
    for _ in range(4):
        assert rt.tracking.recorder.click(token, REQUEST) is not None
    report = Drainer(rt.sessions, buffers, rt.tracking.rules).drain()
    assert (report.failed, report.recorded.events) == (["redis"], 4)
    assert "FAILED" in report.describe()


def test_only_one_drainer_works_a_buffer_at_a_time(rt: Runtime) -> None:
    """A second drainer finds the buffer busy and leaves it alone."""
    buffer = rt.tracking.buffers[0]
    with buffer.exclusive() as first:
        assert first
        report = Drainer(rt.sessions, [buffer], rt.tracking.rules).drain()
    assert report.busy == [buffer.name]
