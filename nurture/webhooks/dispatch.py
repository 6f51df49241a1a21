"""Each scheduler pass: new events → one delivery row per matching subscription.

Events are read past a cursor (the table is the outbox: whoever records an event —
import, API, scoring, sales — needs to know nothing about webhooks). The cursor row is
locked, so two schedulers never dispatch the same events; the unique (subscription,
event) key makes a repeated pass harmless anyway. New rows go to the broker after the
commit; rows whose message the broker lost (or whose worker died) are found again once
they have been due for `requeue_after`.

Like campaign entry (`engine.enrolment`), the cursor only moves over settled events
(`nurture.engine.cursor`): an event whose id was taken before a pass but committed after
it is read by a later pass. Re-read events are skipped where a delivery already exists.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from nurture.db import is_postgres, member_of
from nurture.engine.cursor import settled
from nurture.models import Event, WebhookCursor, WebhookDelivery, WebhookSubscription
from nurture.models.base import new_public_id
from nurture.webhooks.events import OWED_TO_HOLDERS, SOURCE_TYPES

BATCH = 5_000
CURSOR = "events"


def dispatch(session: Session, now: datetime) -> list[int]:
    """Create deliveries for events past the cursor; returns their ids."""
    subscriptions = list(
        session.scalars(select(WebhookSubscription).where(WebhookSubscription.active))
    )
    cursor = _cursor(session, subscriptions)
    if not subscriptions:  # nothing listens: skip ahead, never replay old history
        newest = session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1))
        cursor.last_event_id = max(cursor.last_event_id, newest or 0)
        return []
    created: list[int] = []
    after, settling = cursor.last_event_id, False
    while True:
        events = list(
            session.scalars(
                select(Event)
                .where(Event.id > after, Event.type.in_(list(SOURCE_TYPES)))
                .order_by(Event.id)
                .limit(BATCH)
            )
        )
        if not events:
            return created
        after = events[-1].id
        holders = _holders(session, events)
        rows = _deliveries(session, events, subscriptions, _existing(session, events), holders, now)
        if not settling:
            pairs = ((event.id, event.created_at) for event in events)
            cursor.last_event_id = settled(cursor.last_event_id, pairs, now)
            settling = cursor.last_event_id != after
        session.flush()
        created += [row.id for row in rows]


def _cursor(session: Session, subscriptions: list[WebhookSubscription]) -> WebhookCursor:
    """The cursor row, locked. The first passes of two schedulers may both create it: the
    second insert waits for the first and does nothing, instead of failing its pass."""
    cursor = session.get(WebhookCursor, CURSOR, with_for_update=True)
    if cursor is not None:
        return cursor
    # Start where the oldest subscription does, not at the beginning.
    start = min((row.after_event_id for row in subscriptions), default=0)
    dialect = postgresql if is_postgres(session) else sqlite
    insert = dialect.insert(WebhookCursor).values(name=CURSOR, last_event_id=start)
    session.execute(insert.on_conflict_do_nothing())
    return session.get_one(WebhookCursor, CURSOR, with_for_update=True)


def _existing(session: Session, events: list[Event]) -> set[tuple[int, int]]:
    """(subscription, event) pairs already delivered: events read again are skipped."""
    ids = [event.id for event in events]
    rows = session.execute(
        select(WebhookDelivery.subscription_id, WebhookDelivery.event_id).where(
            member_of(session, WebhookDelivery.event_id, ids)
        )
    )
    return {(subscription_id, event_id) for subscription_id, event_id in rows}


def _holders(session: Session, events: list[Event]) -> set[tuple[int, int]]:
    """(subscription, lead) pairs where the receiver got the lead's data before, for the
    leads of the events owed to holders (`OWED_TO_HOLDERS`)."""
    lead_ids = sorted(
        {e.lead_id for e in events if e.lead_id and SOURCE_TYPES[e.type] in OWED_TO_HOLDERS}
    )
    if not lead_ids:
        return set()
    rows = session.execute(
        select(WebhookDelivery.subscription_id, WebhookDelivery.lead_id)
        .where(member_of(session, WebhookDelivery.lead_id, lead_ids))
        .where(WebhookDelivery.attempts > 0)
        .distinct()
    )
    return {(subscription_id, lead_id) for subscription_id, lead_id in rows if lead_id}


def _deliveries(
    session: Session,
    events: list[Event],
    subscriptions: list[WebhookSubscription],
    existing: set[tuple[int, int]],
    holders: set[tuple[int, int]],
    now: datetime,
) -> list[WebhookDelivery]:
    rows = []
    for event in events:
        kind = SOURCE_TYPES[event.type]
        for subscription in subscriptions:
            if (subscription.id, event.id) in existing:
                continue
            held = kind in OWED_TO_HOLDERS and (subscription.id, event.lead_id) in holders
            wanted = kind in subscription.events or held
            if wanted and event.id > subscription.after_event_id:
                rows.append(
                    WebhookDelivery(
                        public_id=new_public_id(),
                        subscription_id=subscription.id,
                        event_id=event.id,
                        lead_id=event.lead_id,
                        event=kind,
                        payload=payload(kind, event),
                        next_attempt_at=now,
                        created_at=now,
                        updated_at=now,
                    )
                )
    session.add_all(rows)
    return rows


def payload(kind: str, event: Event) -> dict[str, Any]:
    """What is stored: no personal data. The lead and the event's details are read when the
    delivery goes out (`deliver.body`), so an erasure in between leaves nothing behind."""
    return {"event": kind, "type": event.type, "occurred_at": event.occurred_at.isoformat()}


def lost(session: Session, now: datetime, requeue_after: timedelta) -> list[int]:
    """Pending deliveries due for `requeue_after` without an attempt: enqueue them again
    (and look at them again only after another `requeue_after`)."""
    ids = list(
        session.scalars(
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.status == "pending",
                or_(
                    WebhookDelivery.next_attempt_at.is_(None),
                    WebhookDelivery.next_attempt_at < now - requeue_after,
                ),
            )
            .order_by(WebhookDelivery.id)
            .limit(BATCH)
        )
    )
    if ids:
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(ids))
            .values(next_attempt_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    return ids


def redeliver(session: Session, public_ids: list[str], now: datetime) -> list[int]:
    """Failed deliveries back to pending with fresh attempts (`nurture webhooks redeliver`)."""
    ids = list(
        session.scalars(
            select(WebhookDelivery.id).where(
                WebhookDelivery.public_id.in_(public_ids), WebhookDelivery.status == "failed"
            )
        )
    )
    if ids:
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(ids))
            .values(status="pending", attempts=0, next_attempt_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    return ids
