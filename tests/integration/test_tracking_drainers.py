"""Who drains the buffer: the web process's thread, each scheduler pass, and
`nurture tracking flush`; and what gets pruned."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from nurture.db import unit_of_work
from nurture.models import TrackingHit
from nurture.runtime import Runtime
from nurture.tracking.background import BackgroundDrainer
from nurture.tracking.recorder import Request
from tests.conftest import TEST_KEYS, RuntimeFactory
from tests.pipeline import write_campaign
from tests.tracking_support import CHROME, count_events, sent_message, tracked_lead

SENT = datetime.now(UTC) - timedelta(hours=1)
REQUEST = Request("GET", "198.51.100.23", CHROME)
NURTURE = str(Path(sys.executable).with_name("nurture"))


def clicks(rt: Runtime, count: int) -> None:
    lead = tracked_lead(rt, "ines@example.com", SENT - timedelta(days=1))
    token = rt.tracking.tokens.sign(
        "click", ["m", sent_message(rt, lead, SENT), "https://a.example/"]
    )
    for _ in range(count):
        assert rt.tracking.recorder.click(token, REQUEST) is not None


def wait_for(rt: Runtime, events: int, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while count_events(rt, "email_clicked") < events and time.monotonic() < deadline:
        time.sleep(0.02)
    return count_events(rt, "email_clicked")


def test_the_web_process_thread_drains_when_traffic_pauses(
    db_url: str, make_runtime: RuntimeFactory
) -> None:
    """Hits answered by the web process reach the database without anyone asking."""
    rt = make_runtime(db_url, tracking_drain_interval=0)
    background = BackgroundDrainer(rt.tracking.drainer, interval=0.02, quiet=0.1)
    clicks(rt, 5)
    background.note_hit()
    background.note_hit()  # one thread per process
    assert wait_for(rt, 5, seconds=10) == 5
    background.stop()
    assert not [t for t in threading.enumerate() if t.name == "nurture-tracking-drainer"]


def test_the_thread_lets_a_burst_pass_but_not_for_longer_than_max_delay(
    db_url: str, make_runtime: RuntimeFactory
) -> None:
    """While hits keep coming it waits; after max_delay it drains anyway."""
    rt = make_runtime(db_url, tracking_drain_interval=0)
    background = BackgroundDrainer(rt.tracking.drainer, interval=0.02, quiet=5, max_delay=0.6)
    clicks(rt, 3)
    started = time.monotonic()
    background.note_hit()
    while count_events(rt, "email_clicked") < 3 and time.monotonic() - started < 10:
        background.note_hit()  # a steady stream of requests
        time.sleep(0.01)
    waited = time.monotonic() - started
    background.stop()
    assert count_events(rt, "email_clicked") == 3
    assert 0.5 < waited < 5


def test_each_scheduler_pass_drains_first(db_url: str, make_runtime: RuntimeFactory) -> None:
    """A pass records buffered hits before it plans, and says so in its report."""
    rt = make_runtime(db_url, tracking_drain_interval=0)
    write_campaign(
        rt,
        "id: idle\nname: Idle\npurpose: newsletter\nsender: a@acme.example\n"
        "entry: {on: converted}\nsteps:\n  - {id: s, after: 0m, subject: x, "
        "template: welcome/hello.html}\n",
    )
    clicks(rt, 3)
    report = rt.scheduler_pass().run(rt.campaigns(), rt.clock.now())
    assert count_events(rt, "email_clicked") == 3
    assert any(note.startswith("tracking: drained 3 hits") for note in report.notes)
    quiet = rt.scheduler_pass().run(rt.campaigns(), rt.clock.now())
    assert not any(note.startswith("tracking:") for note in quiet.notes)


def test_nurture_tracking_flush(tmp_path: Path, make_runtime: RuntimeFactory) -> None:
    """The command drains this host's spool and prints what it recorded."""
    database = f"sqlite:///{tmp_path / 'flush.db'}"
    subprocess.run([NURTURE, "db", "upgrade"], env=_env(database), cwd=tmp_path, check=True)
    rt = make_runtime(database, instance_dir=tmp_path / "instance", tracking_drain_interval=0)
    clicks(rt, 4)
    done = subprocess.run(
        [NURTURE, "tracking", "flush"],
        env=_env(database),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "drained 4 hits in 1 batches: 4 events" in done.stdout
    assert count_events(rt, "email_clicked") == 4


def _env(database: str) -> dict[str, str]:
    env = {
        **os.environ,
        "NURTURE_DATABASE_URL": database,
        "NURTURE_SECRET_KEYS": ",".join(TEST_KEYS),
        "NURTURE_SUPPRESSION_KEY": "test-suppression-key",
    }
    env.pop("NURTURE_REDIS_URL", None)
    return env


def test_old_hit_ids_are_forgotten(db_url: str, make_runtime: RuntimeFactory) -> None:
    """Hit ids only guard against re-delivery: a week after draining they go."""
    rt = make_runtime(db_url, tracking_drain_interval=0)
    clicks(rt, 2)
    rt.tracking.drainer.drain()
    with unit_of_work(rt.sessions) as session:
        session.execute(update(TrackingHit).values(drained_at=SENT - timedelta(days=8)))
    rt.tracking.drainer.drain()
    with unit_of_work(rt.sessions) as session:
        assert session.scalar(select(func.count()).select_from(TrackingHit)) == 0
    assert count_events(rt, "email_clicked") == 2
