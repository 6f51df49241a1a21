"""Updating stored scores: from one new event (the actor) to every lead (recompute).

The score is recomputed from all of the lead's events each time, never adjusted by a
delta: decay changes the weight of every past event, once-only and caps depend on the
history, and a recompute must give exactly what the increments gave. "Incremental"
means only the leads that just had an event are recomputed, right after it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from nurture.clock import Clock
from nurture.db import SessionFactory, after_commit, lock_for_writing, unit_of_work
from nurture.handoff.start import sync_handoffs, withdraw_restricted
from nurture.scoring import store
from nurture.scoring.compute import score, unprofiled
from nurture.scoring.facts import load_events, load_leads
from nurture.scoring.loader import LoadedRules
from nurture.scoring.rules import ScoringRules
from nurture.scoring.transitions import transitions

log = logging.getLogger(__name__)


@dataclass
class UpdateOutcome:
    scored: int = 0
    changed: int = 0
    transitions: int = 0
    handed_off: int = 0
    # Hand-off deliveries (webhook, owner email) to enqueue once committed.
    deliveries: list[int] = field(default_factory=list)

    def add(self, other: UpdateOutcome) -> None:
        self.scored += other.scored
        self.changed += other.changed
        self.transitions += other.transitions
        self.handed_off += other.handed_off
        self.deliveries += other.deliveries


def update_scores(
    session: Session,
    lead_ids: Sequence[int],
    rules: ScoringRules,
    now: datetime,
    *,
    count_machines: bool = False,
) -> UpdateOutcome:
    """Recompute and store the scores of `lead_ids` (flushes, never commits)."""
    session.flush()  # the Core statements below must see pending ORM changes
    # Two updates of one lead must not both start from the old score (each would record
    # the same transition): PostgreSQL locks the lead rows below, SQLite takes its write
    # lock before reading.
    lock_for_writing(session)
    rows = load_leads(session, sorted(set(lead_ids)))
    # Art. 18: a restricted lead's data is stored, not processed. Its score, ledger and
    # stage stay as they were (the person sees them on the my-data page) until lifted.
    restricted = [row.id for row in rows if row.restricted]
    rows = [row for row in rows if not row.restricted]
    scorable = [row.id for row in rows if not row.facts.profiling_objected]
    events = load_events(session, scorable, rules, now) if scorable else {}
    results = [
        (row, score(row.facts, events.get(row.id, ()), rules, now, count_machines=count_machines))
        for row in rows
    ]
    updates = [(row.id, res) for row, res in results if store.changed(row, res)]
    store.update_leads(session, updates)
    objected = [row.id for row in rows if row.facts.profiling_objected]
    ledgers = [(row.id, res) for row, res in results if not row.facts.profiling_objected]
    store.save_ledgers(session, ledgers, rules.version, now)
    store.forget_ledgers(session, objected)
    changes = [
        (row.id, kind, data) for row, res in results for kind, data in transitions(row.facts, res)
    ]
    store.record_transitions(session, changes, now)
    handed = sync_handoffs(session, results, rules, now)
    handed.deliveries += withdraw_restricted(session, restricted, now) if restricted else []
    return UpdateOutcome(
        scored=len(rows),
        changed=len(updates),
        transitions=len(changes),
        handed_off=handed.started,
        deliveries=handed.deliveries,
    )


def clear_profile(session: Session, lead_id: int) -> None:
    """A lead objected to profiling (already set on the lead): zero the score and delete
    the ledger in the same transaction as the objection (GDPR art. 21: the objection
    takes effect at once, not at the next scheduler pass).

    What `update_scores` does for such a lead, without rules or events: an objected
    lead's score does not depend on them, so an invalid scoring.yaml cannot hold up an
    objection. The lead row is locked like an update's, so a score update racing the
    objection waits for it and then finds the lead objected.
    """
    session.flush()  # the Core statements below must see the objection
    rows = [row for row in load_leads(session, [lead_id]) if row.facts.profiling_objected]
    results = [(row, unprofiled(row.facts)) for row in rows]
    store.update_leads(session, [(row.id, res) for row, res in results if store.changed(row, res)])
    store.forget_ledgers(session, [row.id for row in rows])


@dataclass
class ScoreUpdater:
    """What the score actor calls: one unit of work per batch of lead ids."""

    sessions: SessionFactory
    rules: Callable[[], LoadedRules]
    clock: Clock
    deliver: Callable[[list[int]], None]
    count_machines: bool = False

    def update(self, lead_ids: Sequence[int]) -> UpdateOutcome | None:
        loaded = self.rules()
        if loaded.rules is None:
            # Retrying would not fix a file; the scheduler's refresh catches up once fixed.
            log.error("scoring.yaml is invalid, scores not updated:\n%s", loaded.problems)
            return None
        with unit_of_work(self.sessions) as session:
            outcome = update_scores(
                session,
                lead_ids,
                loaded.rules,
                self.clock.now(),
                count_machines=self.count_machines,
            )
            if outcome.deliveries:
                after_commit(session, lambda: self.deliver(outcome.deliveries))
        return outcome
