"""Driving the whole engine in tests: campaign files, consented leads, passes, a worker."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import dramatiq
from sqlalchemy import select

from nurture.actors import SEND_QUEUE
from nurture.campaigns.purposes import load_purposes, wording_hash
from nurture.consent.ledger import Proof, append
from nurture.consent.suppression import suppress
from nurture.db import unit_of_work
from nurture.engine.scheduler import PassReport
from nurture.leads.fields import clean_lead
from nurture.leads.service import upsert_lead
from nurture.models import Lead, Message
from nurture.runtime import Runtime

REPO = Path(__file__).resolve().parent.parent

THREE_STEPS = """
id: drip
name: Drip test
purpose: newsletter
sender: "Acme News <news@acme.example>"
reply_to: hello@acme.example
entry:
  on: consent_confirmed
window:
  days: [mon, tue, wed, thu, fri]
  hours: "09:00-17:00"
  timezone: Europe/Madrid
exit:
  events: [converted]
steps:
  - id: one
    after: 0m
    subject: "One for {{ lead.first_name or 'you' }}"
    template: welcome/hello.html
  - id: two
    after: 2d
    subject: "Two"
    template: welcome/five_stages.html
  - id: three
    after: 1d
    subject: "Three"
    template: welcome/trial.html
"""


def write_campaign(rt: Runtime, text: str, name: str = "drip.yaml") -> Path:
    folder = rt.settings.campaigns_dir
    folder.mkdir(parents=True, exist_ok=True)
    purposes = folder / "purposes.yaml"
    if not purposes.exists():
        shutil.copyfile(REPO / "campaigns" / "purposes.yaml", purposes)
    path = folder / name
    path.write_text(text)
    return path


def add_lead(
    rt: Runtime,
    email: str,
    at: datetime,
    *,
    purpose: str | None = "newsletter",
    confirm: bool = True,
    **fields: str,
) -> int:
    """A lead signed up through the form at `at` (granted, then confirmed 1 minute later)."""
    with unit_of_work(rt.sessions) as session:
        lead, _ = upsert_lead(
            session,
            clean_lead({"email": email, **fields}),
            source="test",
            now=at,
            event_source="form",
        )
        if purpose is not None:
            wording = load_purposes(rt.settings.campaigns_dir).wording(purpose, "en")
            proof = Proof(source="form", wording=wording, wording_hash=wording_hash(wording))
            append(session, lead, purpose, "granted", proof, at)
            if confirm:
                append(
                    session,
                    lead,
                    purpose,
                    "confirmed",
                    Proof(source="link"),
                    at + timedelta(minutes=1),
                )
        return lead.id


def withdraw(rt: Runtime, lead_id: int, purpose: str, at: datetime) -> None:
    with unit_of_work(rt.sessions) as session:
        lead = session.get_one(Lead, lead_id)
        append(session, lead, purpose, "withdrawn", Proof(source="link"), at)


def suppress_lead(rt: Runtime, lead_id: int, reason: str, at: datetime) -> None:
    with unit_of_work(rt.sessions) as session:
        lead = session.get_one(Lead, lead_id)
        suppress(session, rt.settings.suppression_key, lead.email, reason, at)


def messages(rt: Runtime) -> list[Message]:
    with unit_of_work(rt.sessions) as session:
        return list(session.scalars(select(Message).order_by(Message.id)))


def queued_first_steps(engine: Engine, addresses: Sequence[str], now: datetime) -> list[Message]:
    """THREE_STEPS for a lead per address, signed up the day before `now`, planned at `now`
    with the broker held: each lead's queued first step, in the order of `addresses`."""
    write_campaign(engine.rt, THREE_STEPS)
    lead_ids = [add_lead(engine.rt, address, now - timedelta(days=1)) for address in addresses]
    engine.hold_broker()
    engine.schedule(now)
    by_lead = {row.lead_id: row for row in messages(engine.rt)}
    return [by_lead[lead_id] for lead_id in lead_ids]


def hourly(start: datetime, end: datetime) -> Iterator[datetime]:
    now = start
    while now <= end:
        yield now
        now += timedelta(hours=1)


def _hold(message_ids: Sequence[int]) -> None:
    """An enqueue that keeps the ids to itself."""


@dataclass
class Engine:
    """A runtime with an in-process Dramatiq worker on its broker (stub or Redis)."""

    rt: Runtime
    threads: int = 4
    reports: list[PassReport] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rt.actors  # noqa: B018 - declares the actors on this runtime's broker
        self.worker: dramatiq.Worker | None = None

    def hold_broker(self) -> None:
        """Plan without enqueueing: rows stay `queued` until the test hands them over."""
        self.rt.actors.enqueue = _hold  # type: ignore[method-assign]

    def start_worker(self) -> None:
        self.worker = dramatiq.Worker(
            self.rt.broker, worker_threads=self.threads, worker_timeout=50
        )
        self.worker.start()

    def schedule(self, now: datetime) -> PassReport:
        report = self.rt.scheduler_pass().run(self.rt.campaigns(), now)
        self.reports.append(report)
        return report

    def drain(self) -> None:
        assert self.worker is not None, "start_worker() first"
        self.rt.broker.join(SEND_QUEUE, timeout=30_000)
        self.worker.join()

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop(timeout=5_000)
        self.rt.broker.close()
