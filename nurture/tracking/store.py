"""The SQL the drainer needs: claiming hit ids exactly once, and counting aggregate hits.

Both use INSERT … ON CONFLICT, which PostgreSQL and SQLite (3.35+) share.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from nurture.db import is_postgres
from nurture.models import TrackingCount, TrackingHit

CountKey = tuple[str, str, str, str, date]  # campaign, step, event type, classification, day


def _insert(session: Session, table: Any) -> Any:
    return (postgresql.insert if is_postgres(session) else sqlite.insert)(table)


def claim_hits(session: Session, hit_ids: Iterable[str], drained_at: datetime) -> set[str]:
    """Insert the ids; return those not seen before (a re-delivered hit returns nothing).

    A concurrent drainer inserting the same id waits on the unique key, then gets
    nothing back once the first commits: each hit becomes an event exactly once.
    """
    rows = [{"id": hit_id, "drained_at": drained_at} for hit_id in dict.fromkeys(hit_ids)]
    if not rows:
        return set()
    table = TrackingHit.__table__
    statement = _insert(session, table).on_conflict_do_nothing().returning(table.c.id)
    # One statement compiled once; SQLAlchemy sends the rows in multi-row batches.
    return set(session.execute(statement, rows).scalars())


def add_counts(session: Session, counts: Counter[CountKey]) -> None:
    for (campaign_id, step_id, event_type, classification, day), count in counts.items():
        statement = _insert(session, TrackingCount).values(
            campaign_id=campaign_id,
            step_id=step_id,
            type=event_type,
            classification=classification,
            day=day,
            count=count,
        )
        statement = statement.on_conflict_do_update(
            index_elements=["campaign_id", "step_id", "type", "classification", "day"],
            set_={"count": TrackingCount.count + statement.excluded["count"]},
        )
        session.execute(statement)


def forget_hits(session: Session, before: datetime) -> int:
    """Drop ids drained long ago: a buffer re-delivers within seconds, not weeks."""
    result = session.execute(delete(TrackingHit).where(TrackingHit.drained_at < before))
    return int(getattr(result, "rowcount", 0) or 0)
