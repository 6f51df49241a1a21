"""One scheduler pass: sync campaign states, enrol, plan due steps, recover lost rows.

Each batch is its own unit of work; message ids are handed to `enqueue` only after the
batch committed (a worker must never race the row it is told about). When `enqueue`
fails — the broker is down — the rows stay `queued` and the next pass sends them on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from nurture.campaigns.registry import CampaignSet, LoadedCampaign
from nurture.clock import Clock, SystemClock
from nurture.db import SessionFactory, after_commit, unit_of_work
from nurture.engine import recovery
from nurture.engine.campaign_state import sync_campaign_states
from nurture.engine.enrolment import enrol_from_events
from nurture.engine.planning import PlanCounts, plan_batch

log = logging.getLogger(__name__)

Enqueue = Callable[[list[int]], None]


@dataclass
class PassReport:
    enrolled: int = 0
    plan: PlanCounts = field(default_factory=PlanCounts)
    requeued: int = 0
    unknown: int = 0
    enqueue_failures: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # from `periodic` (scoring, sales SLA)

    @property
    def queued(self) -> int:
        return self.plan.queued


@dataclass
class SchedulerPass:
    sessions: SessionFactory
    enqueue: Enqueue
    suppression_key: str
    requeue_after: timedelta = timedelta(minutes=5)
    sending_stale_after: timedelta = timedelta(minutes=10)
    wall_clock: Clock = field(default_factory=SystemClock)
    batch_size: int = 2_000
    count_machines: bool = False  # proxy/scanner opens and clicks satisfy conditions
    # Work that runs at the clock of each pass, first, so what it records (became_hot...)
    # enrols leads in this very pass: score refresh and the sales SLA check.
    periodic: Callable[[datetime], list[str]] | None = None

    def run(self, campaigns: CampaignSet, now: datetime) -> PassReport:
        report = PassReport(problems=[str(problem) for problem in campaigns.problems])
        if self.periodic is not None:
            report.notes += self.periodic(now)
        active = self._sync_and_enrol(campaigns, now, report)
        while True:
            with unit_of_work(self.sessions) as session:
                ids, counts, handled = plan_batch(
                    session,
                    active,
                    now,
                    self.suppression_key,
                    enqueued_at=self.wall_clock.now(),
                    limit=self.batch_size,
                    count_machines=self.count_machines,
                )
                self._enqueue_after_commit(session, ids, report)
            report.plan.add(counts)
            if handled < self.batch_size:
                break
        self._recover(report)
        return report

    def _sync_and_enrol(
        self, campaigns: CampaignSet, now: datetime, report: PassReport
    ) -> dict[str, LoadedCampaign]:
        with unit_of_work(self.sessions) as session:
            states = sync_campaign_states(session, campaigns.campaigns.values(), now)
        active = {cid: item for cid, item in campaigns.campaigns.items() if not states[cid].paused}
        for item in active.values():
            with unit_of_work(self.sessions) as session:
                report.enrolled += enrol_from_events(
                    session, item, self.suppression_key, now, self.wall_clock.now()
                )
        return active

    def _recover(self, report: PassReport) -> None:
        wall_now = self.wall_clock.now()
        with unit_of_work(self.sessions) as session:
            report.unknown = recovery.mark_unknown(session, wall_now, self.sending_stale_after)
            ids = recovery.lost_queued(session, wall_now, self.requeue_after)
            report.requeued = len(ids)
            self._enqueue_after_commit(session, ids, report)

    def _enqueue_after_commit(self, session: Session, ids: list[int], report: PassReport) -> None:
        if ids:
            after_commit(session, lambda: self._enqueue(ids, report))

    def _enqueue(self, ids: list[int], report: PassReport) -> None:
        try:
            self.enqueue(ids)
        except Exception:
            report.enqueue_failures += len(ids)
            log.exception("broker unavailable: %d messages stay queued for the next pass", len(ids))
            with unit_of_work(self.sessions) as session:
                recovery.forget_enqueue(session, ids)
