"""The demo's moving parts: a fast virtual clock, the scheduler loop, an in-process
Dramatiq worker and the development web server, all in one process."""

from __future__ import annotations

import logging
import secrets
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path

from sqlalchemy import func, select
from werkzeug.serving import make_server

from nurture import migrate
from nurture.campaigns.purposes import load_purposes
from nurture.clock import VirtualClock
from nurture.config import Settings
from nurture.db import unit_of_work
from nurture.demo.seed import seed
from nurture.embedded import embedded_worker
from nurture.models import Message
from nurture.runtime import Runtime
from nurture.web import create_app

log = logging.getLogger(__name__)
DEMO_POSTAL_ADDRESS = "Acme Demo Ltd, Calle Mayor 1, 28013 Madrid, Spain"


@dataclass
class Demo:
    runtime: Runtime
    host: str = "127.0.0.1"
    port: int = 5000
    tick: float = 1.0  # real seconds between scheduler passes

    def prepare(self) -> int:
        rt = self.runtime
        migrate.upgrade(rt.settings.database_url)
        with unit_of_work(rt.sessions) as session:
            return seed(session, load_purposes(rt.settings.campaigns_dir), rt.clock.now())

    def start(self) -> None:
        rt = self.runtime
        self._resources = ExitStack()
        self._resources.enter_context(embedded_worker(rt))
        self.server = make_server(self.host, self.port, create_app(rt), threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self._stop = threading.Event()
        threading.Thread(target=self._schedule, daemon=True).start()

    def _schedule(self) -> None:
        scheduler_pass = self.runtime.scheduler_pass()
        while not self._stop.is_set():
            try:
                scheduler_pass.run(self.runtime.campaigns(), self.runtime.clock.now())
            except Exception:
                log.exception("scheduler pass failed; trying again")
            self._stop.wait(self.tick)

    def status(self) -> str:
        with unit_of_work(self.runtime.sessions) as session:
            counts = dict(
                session.execute(select(Message.status, func.count()).group_by(Message.status)).all()
            )
        summary = ", ".join(f"{status} {n}" for status, n in sorted(counts.items())) or "none yet"
        return f"virtual time {self.runtime.clock.now():%Y-%m-%d %H:%M} UTC — messages: {summary}"

    def stop(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self._resources.close()
        self.runtime.close()


def demo_settings(settings: Settings, port: int) -> Settings:
    """The embedded defaults, whatever the environment says: the demo seeds sample leads
    and sends on a fast clock, so it must never touch a real database, broker or SMTP
    server. Links point at the demo's own port; the dashboard gets a password."""
    return settings.with_overrides(
        database_url=f"sqlite:///{Path.cwd() / 'nurture.db'}",
        redis_url=None,
        smtp_url=None,
        base_url=f"http://127.0.0.1:{port}",
        postal_address=settings.postal_address or DEMO_POSTAL_ADDRESS,
        admin_password=settings.admin_password or secrets.token_urlsafe(9),
    )


def virtual_clock(speed: float) -> VirtualClock:
    return VirtualClock(start=demo_start(datetime.now(UTC)), speed=speed)


def demo_start(now: datetime) -> datetime:
    """When the demo's virtual time begins: now on a weekday working hour, else the next
    weekday at 07:30 UTC. The example campaigns send on weekdays in the leads' daytime; a
    demo started on a Saturday night would otherwise show nothing for a minute or more."""
    if now.weekday() < 5 and MORNING.hour <= now.hour < 16:
        return now
    start = now.replace(hour=MORNING.hour, minute=MORNING.minute, second=0, microsecond=0)
    if start <= now:
        start += timedelta(days=1)
    while start.weekday() >= 5:
        start += timedelta(days=1)
    return start


MORNING = time_of_day(7, 30)  # UTC: just before the windows open in Europe


def run_forever(demo: Demo, every: float = 10.0) -> None:
    try:
        while True:
            time.sleep(every)
            print(demo.status(), flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        demo.stop()
