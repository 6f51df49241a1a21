"""How far an event cursor may safely move.

Event ids come from a sequence when the row is inserted, not when its transaction
commits: a long transaction can commit id 100 after id 101 is already visible. A cursor
that jumped to 101 would never see 100. So a cursor only moves past events older than a
settling delay (they were committed long ago or will never be), and newer ones are read
again by the next pass; consumers are idempotent (unique keys), so re-reading is safe.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

# Longer than any transaction that records events (a 100,000-row import takes seconds).
SETTLE = timedelta(minutes=2)


def settled(cursor: int, events: Iterable[tuple[int, datetime]], wall_now: datetime) -> int:
    """The new cursor: the last id of the leading run of settled events (ids ascending)."""
    cutoff = wall_now - SETTLE
    for event_id, created_at in events:
        if created_at > cutoff:
            break
        cursor = event_id
    return cursor
