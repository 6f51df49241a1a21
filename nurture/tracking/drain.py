"""The drainer: hits from the buffers into the database in batches, each exactly once.

One batch = one transaction (hit ids claimed, events inserted, aggregate counts added),
then the batch is acknowledged to its buffer, then scoring is told which leads have new
engagement. A crash anywhere before the commit leaves the hits in the buffer; a crash
between commit and acknowledgement re-delivers hits whose ids are already claimed.
Only one drainer works a buffer at a time (`exclusive`); others skip it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from nurture.clock import Clock, SystemClock
from nurture.db import SessionFactory, unit_of_work
from nurture.tracking import store
from nurture.tracking.buffer import Batch, HitBuffer
from nurture.tracking.classify import Rules
from nurture.tracking.record import Recorded, record_hits

log = logging.getLogger(__name__)

# Called after each committed batch with the leads that have new or re-classified
# engagement. The composition root wires it to scoring's enqueue (a Dramatiq message per
# chunk of leads), so the drainer never computes a score itself.
ScoreLeads = Callable[[Sequence[int]], None]


@dataclass
class DrainReport:
    batches: int = 0
    read: int = 0
    malformed: int = 0
    busy: list[str] = field(default_factory=list)  # buffers another drainer was working
    failed: list[str] = field(default_factory=list)  # buffers that could not be drained
    recorded: Recorded = field(default_factory=Recorded)

    def describe(self) -> str:
        done = self.recorded
        kinds = ", ".join(f"{n} {c}" for c, n in sorted(done.classifications.items())) or "none"
        line = (
            f"drained {self.read} hits in {self.batches} batches: {done.events} events, "
            f"{done.counted} aggregate, {done.duplicates} duplicates skipped, "
            f"{done.dropped} dropped, {done.reclassified} re-classified ({kinds})"
        )
        if self.malformed:
            line += f"; {self.malformed} unreadable lines skipped"
        if self.busy:
            line += f"; another drainer is working: {', '.join(self.busy)}"
        if self.failed:
            line += f"; FAILED (hits stay buffered, see the log): {', '.join(self.failed)}"
        return line


@dataclass
class Drainer:
    sessions: SessionFactory
    buffers: Sequence[HitBuffer]
    rules: Rules
    aggregate: bool = False
    score_leads: ScoreLeads | None = None
    wall_clock: Clock = field(default_factory=SystemClock)
    batch_size: int = 1000
    keep_hit_ids: timedelta = timedelta(days=7)

    def drain(self, max_batches: int | None = None) -> DrainReport:
        report = DrainReport()
        for buffer in self.buffers:
            try:
                with buffer.exclusive() as mine:
                    if mine:
                        self._drain(buffer, report, max_batches)
                    else:
                        report.busy.append(buffer.name)
            except Exception:
                # One buffer down (Redis) must not keep the others (the spool Redis's
                # refusals went to) from draining; its hits wait for the next drain.
                log.exception("draining the %s hit buffer failed", buffer.name)
                report.failed.append(buffer.name)
        with unit_of_work(self.sessions) as session:
            store.forget_hits(session, self.wall_clock.now() - self.keep_hit_ids)
        return report

    def _drain(self, buffer: HitBuffer, report: DrainReport, max_batches: int | None) -> None:
        while max_batches is None or report.batches < max_batches:
            batch = buffer.read(self.batch_size)
            size = len(batch.hits) + batch.malformed
            if size:
                self._record(buffer, batch, report)
            else:
                buffer.ack(batch)
            if size < self.batch_size:
                return

    def _record(self, buffer: HitBuffer, batch: Batch, report: DrainReport) -> None:
        try:
            with unit_of_work(self.sessions) as session:
                recorded = record_hits(
                    session, batch.hits, self.rules, self.wall_clock.now(), self.aggregate
                )
        except BaseException:
            buffer.release(batch)
            raise
        buffer.ack(batch)
        report.batches += 1
        report.read += len(batch.hits)
        report.malformed += batch.malformed
        report.recorded.add(recorded)
        self._score(recorded.lead_ids)

    def _score(self, lead_ids: set[int]) -> None:
        if not lead_ids or self.score_leads is None:
            return
        try:
            self.score_leads(sorted(lead_ids))
        except Exception:
            log.exception(
                "could not enqueue score updates for %d leads; `nurture scores recompute` "
                "rebuilds them",
                len(lead_ids),
            )
