"""The scoring side of each scheduler pass: refresh, speed-to-lead, lost deliveries.

- refresh: leads whose score is older than `decay.refresh` or was computed with other
  rules are recomputed, so decay shows on idle leads, a changed scoring.yaml reaches
  everyone, and an event whose producer never enqueued a score update is still counted
  (the actor is the fast path; this is the guarantee). Objected leads that still have a
  ledger lose it here too; restricted leads are not recomputed, only taken back from
  sales if a hand-off of theirs is still open.
- speed-to-lead: `nurture.handoff.sla`.
- deliveries the broker lost (or whose worker died mid-attempt) are enqueued again.

Each part runs in its own units of work; what it enqueues goes out after its commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from nurture.clock import Clock
from nurture.db import SessionFactory, after_commit, unit_of_work
from nurture.handoff.sla import check_sla
from nurture.models import Handoff, HandoffDelivery, Lead, ScoreLedger
from nurture.models.handoff import OPEN_STATUSES
from nurture.scoring.loader import LoadedRules
from nurture.scoring.rules import ScoringRules
from nurture.scoring.service import UpdateOutcome, update_scores

log = logging.getLogger(__name__)


def stale_leads(session: Session, rules: ScoringRules, now: datetime, limit: int) -> list[int]:
    cutoff = now - rules.decay.refresh
    ledger = ScoreLedger
    outdated = or_(
        ledger.lead_id.is_(None),
        ledger.computed_at < cutoff,
        ledger.rules_version != rules.version,
    )
    # A restricted lead (art. 18) is not scored, so its ledger stays outdated: picked on
    # that, it would come back in every batch and a batch of only such leads would score
    # none (`refresh` would never end). It is picked only while it has an open hand-off,
    # which its update withdraws (`nurture.handoff.start.withdraw_restricted`).
    held_by_sales = (
        select(Handoff.id)
        .where(Handoff.lead_id == Lead.id, Handoff.status.in_(OPEN_STATUSES))
        .exists()
    )
    query = (
        select(Lead.id)
        .outerjoin(ledger, ledger.lead_id == Lead.id)
        .where(
            or_(
                and_(Lead.restricted_at.is_not(None), held_by_sales),
                and_(
                    Lead.restricted_at.is_(None),
                    or_(
                        and_(Lead.profiling_objected.is_(False), outdated),
                        and_(Lead.profiling_objected.is_(True), ledger.lead_id.is_not(None)),
                    ),
                ),
            )
        )
        .order_by(Lead.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def lost_deliveries(session: Session, wall_now: datetime, requeue_after: timedelta) -> list[int]:
    stale = wall_now - requeue_after
    ids = list(
        session.scalars(
            select(HandoffDelivery.id).where(
                HandoffDelivery.status == "pending",
                or_(
                    and_(
                        HandoffDelivery.next_attempt_at.is_(None),
                        HandoffDelivery.updated_at < stale,
                    ),
                    HandoffDelivery.next_attempt_at < stale,
                ),
            )
        )
    )
    if ids:  # looked at again only after another `requeue_after`
        session.execute(
            update(HandoffDelivery)
            .where(HandoffDelivery.id.in_(ids))
            .values(next_attempt_at=None, updated_at=wall_now)
            .execution_options(synchronize_session=False)
        )
    return ids


@dataclass
class ScoringPass:
    sessions: SessionFactory
    rules: Callable[[], LoadedRules]
    enqueue_deliveries: Callable[[list[int]], None]
    wall_clock: Clock
    count_machines: bool = False
    requeue_after: timedelta = timedelta(minutes=5)
    batch_size: int = 1_000
    refresh_per_pass: int = 5_000

    def run(self, now: datetime) -> list[str]:
        """Report lines: refreshed scores, recalled and overdue hand-offs, problems."""
        loaded = self.rules()
        if loaded.rules is None:
            return [f"scoring paused, fix scoring.yaml: {problem}" for problem in loaded.problems]
        notes: list[str] = []
        # One part failing (a lock conflict, the database restarting) must not stop the
        # scheduler pass, nor the other parts: each is retried at the next pass.
        for part in (self._refresh_notes, self._sla, self._recover):
            try:
                notes += part(loaded.rules, now)
            except Exception as error:
                log.exception("scoring: %s failed; retried at the next pass", part.__name__)
                notes.append(f"scoring: {part.__name__.strip('_')} failed ({error!r}), retried")
        return notes

    def _refresh_notes(self, rules: ScoringRules, now: datetime) -> list[str]:
        refreshed = self.refresh(rules, now)
        if not refreshed.scored:
            return []
        return [f"scores refreshed: {refreshed.scored} ({refreshed.changed} changed)"]

    def refresh(self, rules: ScoringRules, now: datetime) -> UpdateOutcome:
        total = UpdateOutcome()
        while total.scored < self.refresh_per_pass:
            with unit_of_work(self.sessions) as session:
                ids = stale_leads(session, rules, now, self.batch_size)
                if not ids:
                    break
                outcome = update_scores(
                    session, ids, rules, now, count_machines=self.count_machines
                )
                self._enqueue_after_commit(session, outcome.deliveries)
            total.add(outcome)
        return total

    def _sla(self, rules: ScoringRules, now: datetime) -> list[str]:
        if rules.handoff is None:
            return []
        with unit_of_work(self.sessions) as session:
            report = check_sla(session, rules.handoff, now)
            self._enqueue_after_commit(session, report.deliveries)
        for line in report.lines():
            log.warning("%s", line)
        return report.lines()

    def _recover(self, _rules: ScoringRules, _now: datetime) -> list[str]:
        with unit_of_work(self.sessions) as session:
            ids = lost_deliveries(session, self.wall_clock.now(), self.requeue_after)
            self._enqueue_after_commit(session, ids)
        return []

    def _enqueue_after_commit(self, session: Session, ids: list[int]) -> None:
        if ids:
            after_commit(session, lambda: self.enqueue_deliveries(ids))
