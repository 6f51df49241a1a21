"""`nurture scores recompute`: every lead's score again, after a rules change.

Batches of leads in id order, each its own transaction (short locks, steady memory):
the batch's events are read in one query, scored in Python, and written back with bulk
statements (`nurture.scoring.store`). Hand-off deliveries a batch creates are enqueued
after that batch commits.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import partial

from sqlalchemy import func, select

from nurture.db import SessionFactory, after_commit, unit_of_work
from nurture.models import Lead
from nurture.scoring.rules import ScoringRules
from nurture.scoring.service import UpdateOutcome, update_scores

# Leads per transaction. Large on purpose: each batch reads its leads' events through
# the index, and events of different leads share pages, so fewer batches read fewer pages.
BATCH = 10_000


def count_leads(sessions: SessionFactory) -> int:
    with unit_of_work(sessions) as session:
        return session.scalar(select(func.count(Lead.id))) or 0


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """A batch allocates millions of small acyclic objects (events, ledger lines), each
    of which would count towards a full cyclic-GC pass over everything alive: a third of
    the run. Reference counting frees them anyway; cycles are collected at the end."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def recompute_all(
    sessions: SessionFactory,
    rules: ScoringRules,
    now: datetime,
    *,
    enqueue_deliveries: Callable[[list[int]], None],
    count_machines: bool = False,
    batch_size: int = BATCH,
    progress: Callable[[int], object] | None = None,
) -> UpdateOutcome:
    with _without_cycle_collection():
        return _recompute(
            sessions, rules, now, enqueue_deliveries, count_machines, batch_size, progress
        )


def _recompute(
    sessions: SessionFactory,
    rules: ScoringRules,
    now: datetime,
    enqueue_deliveries: Callable[[list[int]], None],
    count_machines: bool,
    batch_size: int,
    progress: Callable[[int], object] | None,
) -> UpdateOutcome:
    total, last_id = UpdateOutcome(), 0
    while True:
        with unit_of_work(sessions) as session:
            ids = list(
                session.scalars(
                    select(Lead.id).where(Lead.id > last_id).order_by(Lead.id).limit(batch_size)
                )
            )
            if not ids:
                return total
            outcome = update_scores(session, ids, rules, now, count_machines=count_machines)
            if outcome.deliveries:
                after_commit(session, partial(enqueue_deliveries, outcome.deliveries))
        total.add(outcome)
        last_id = ids[-1]
        if progress is not None:
            progress(len(ids))
