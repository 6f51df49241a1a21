"""The webhook part of each scheduler pass: dispatch new events, recover lost deliveries."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from nurture.clock import Clock
from nurture.db import SessionFactory, after_commit, unit_of_work
from nurture.webhooks.dispatch import dispatch, lost


@dataclass
class WebhookPass:
    sessions: SessionFactory
    enqueue: Callable[[Sequence[int]], None]
    wall_clock: Clock
    requeue_after: timedelta = timedelta(minutes=5)

    def run(self, _schedule_now: datetime) -> list[str]:
        """Deliveries are operational: timed on the wall clock, not the schedule's."""
        now = self.wall_clock.now()
        with unit_of_work(self.sessions) as session:
            created = dispatch(session, now)
            again = lost(session, now, self.requeue_after)
            ids = created + again
            if ids:
                after_commit(session, lambda: self.enqueue(ids))
        notes = [f"webhooks: {len(created)} new deliveries"] if created else []
        return notes + ([f"webhooks: {len(again)} deliveries enqueued again"] if again else [])
