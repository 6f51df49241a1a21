"""The per-message rules, applied over a batch's clicks and the message's recent clicks.

A scanner's clicks can straddle two drains: the first may record a click as human that
the second unmasks (the honeypot followed a moment later, a second link within a
second). Such earlier events are re-classified in place, and their leads re-scored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from nurture.models import Event
from nurture.tracking.classify import Click, Rules, Verdict, correlate


@dataclass
class Unmasked:
    fresh: dict[str, Verdict] = field(default_factory=dict)  # by hit id: this batch's clicks
    reclassified: int = 0  # earlier events updated
    lead_ids: set[int] = field(default_factory=set)


def unmask(session: Session, clicks: dict[int, list[Click]], rules: Rules) -> Unmasked:
    """`clicks`: this batch's clicks (keyed by hit id) per message id."""
    result = Unmasked()
    if not clicks:
        return result
    earliest = datetime.fromtimestamp(
        min(click.at for message in clicks.values() for click in message), UTC
    )
    merged = {message_id: list(found) for message_id, found in clicks.items()}
    for message_id, click in _earlier_clicks(session, set(clicks), earliest, rules):
        merged[message_id].append(click)
    changed: dict[object, Verdict] = {}
    for message_clicks in merged.values():
        if len(message_clicks) > 1:
            changed.update(correlate(message_clicks, rules))
    result.fresh = {key: verdict for key, verdict in changed.items() if isinstance(key, str)}
    earlier = {key: verdict for key, verdict in changed.items() if isinstance(key, int)}
    _reclassify(session, earlier, result)
    return result


def _earlier_clicks(
    session: Session, message_ids: set[int], earliest: datetime, rules: Rules
) -> list[tuple[int, Click]]:
    """Recorded clicks the rules can still combine with: any within the burst window, and
    honeypot clicks within the (longer) honeypot window. Few rows, even when a message is
    clicked thousands of times."""
    burst = Event.occurred_at >= earliest - timedelta(seconds=rules.burst_seconds)
    trap = and_(
        Event.occurred_at >= earliest - timedelta(seconds=rules.honeypot_seconds),
        Event.data["honeypot"].as_boolean().is_(True),
    )
    rows = session.execute(
        select(Event.id, Event.message_id, Event.occurred_at, Event.classification, Event.data)
        .where(Event.type == "email_clicked", Event.message_id.in_(message_ids))
        .where(or_(burst, trap))
    )
    found = []
    for event_id, message_id, occurred_at, classification, data in rows:
        details = data or {}
        url = None if details.get("honeypot") else details.get("url")
        verdict = Verdict(classification or "human", str(details.get("reason", "")))
        client = (details.get("ip"), str(details.get("user_agent", "")))
        found.append((message_id, Click(event_id, occurred_at.timestamp(), client, url, verdict)))
    return found


def _reclassify(session: Session, changed: dict[int, Verdict], result: Unmasked) -> None:
    for event_id, verdict in changed.items():
        event = session.get(Event, event_id)
        if event is None:
            continue
        event.classification = verdict.classification
        event.data = {**(event.data or {}), "reason": verdict.reason}
        result.reclassified += 1
        if event.lead_id is not None:
            result.lead_ids.add(event.lead_id)
    if changed:
        session.flush()
