"""Scoring and hand-off tests: a rules file, events, and a real HTTP receiver for webhooks."""

from __future__ import annotations

import http.server
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from nurture.db import unit_of_work
from nurture.leads.events import record_event
from nurture.models import Event, Handoff, HandoffDelivery, Lead
from nurture.runtime import Runtime
from tests.pipeline import REPO

RULES = """
behaviour:
  - {id: reply, event: replied, points: 20}
  - {id: click, event: clicked, points: 10, max_per_day: 3}
  - {id: open, event: opened, points: 5, max_per_day: 2}
  - {id: rejected, event: sales_rejected, points: -30}
fit:
  - {id: iberia, field: country, in: [ES, PT], points: 10}
disqualify:
  - {id: student, field: job_title, matches: ["*student*"], reason: Students do not buy}
decay: {half_life: 30d, refresh: 1d}
temperature: {warm: 30, hot: 60, hysteresis: 5}
stages:
  mql: {score_at_least: 30}
  sql: {score_at_least: 60}
  customer: {events: [converted]}
handoff:
  when: {temperature: hot}
  mode: MODE
  sla: 4h
  returned: {stage: mql, hold: 30d}
  reps:
    - {id: ana, name: Ana, email: ana@acme.example}
    - {id: ben, name: Ben, email: ben@acme.example}
  notify: {sender: "Acme leads <leads@acme.example>"}
"""


def write_rules(
    rt: Runtime, mode: str = "push", webhook: str | None = None, extra: str = ""
) -> str:
    text = RULES.replace("MODE", mode) + extra
    if webhook is not None:
        text += f"  webhook: {{url: '{webhook}', max_attempts: 3}}\n"
    folder = rt.settings.campaigns_dir
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "purposes.yaml").exists():
        shutil.copyfile(REPO / "campaigns/purposes.yaml", folder / "purposes.yaml")
    (folder / "scoring.yaml").write_text(text)
    return text


def add_events(rt: Runtime, lead_id: int, at: datetime, *types: str, **data: Any) -> None:
    with unit_of_work(rt.sessions) as session:
        lead = session.get_one(Lead, lead_id)
        for event_type in types:
            record_event(session, lead, event_type, occurred_at=at, source="api", data=data)


def lead(rt: Runtime, lead_id: int) -> Lead:
    with unit_of_work(rt.sessions) as session:
        return session.get_one(Lead, lead_id)


def event_types(rt: Runtime, lead_id: int, prefix: str = "") -> list[str]:
    with unit_of_work(rt.sessions) as session:
        return list(
            session.scalars(
                select(Event.type)
                .where(Event.lead_id == lead_id, Event.type.startswith(prefix))
                .order_by(Event.id)
            )
        )


def handoffs(rt: Runtime) -> list[Handoff]:
    with unit_of_work(rt.sessions) as session:
        return list(session.scalars(select(Handoff).order_by(Handoff.id)))


def deliveries(rt: Runtime) -> list[HandoffDelivery]:
    with unit_of_work(rt.sessions) as session:
        return list(session.scalars(select(HandoffDelivery).order_by(HandoffDelivery.id)))


@dataclass(frozen=True)
class Posted:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A CRM stand-in: records every POST and answers the next queued status (else 200)."""

    posts: list[Posted] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    url: str = ""
    arrived: threading.Event = field(default_factory=threading.Event)


@contextmanager
def http_receiver() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            receiver.posts.append(Posted(self.path, dict(self.headers.items()), body))
            status = receiver.statuses.pop(0) if receiver.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
            receiver.arrived.set()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/nurture"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
