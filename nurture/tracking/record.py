"""One batch of hits from the buffer → classified behaviour events, in one transaction.

Per-person hits become `email_opened` / `email_clicked` events carrying campaign, step,
message, classification, and in `data` the reason, truncated IP and user agent. A hit
for a lead who no longer allows tracking (withdrawn after the mail was sent) or whose
processing is restricted records no personal event: it is counted in aggregate when
NURTURE_AGGREGATE_TRACKING is on, else dropped. Aggregate hits only add to counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from nurture.consent.ledger import given_purposes
from nurture.models import Event, Lead, Message
from nurture.tracking import store
from nurture.tracking.classify import Click, HitFacts, Rules, Verdict, classify
from nurture.tracking.hits import Hit
from nurture.tracking.links import (
    AggregateRef,
    BadPayload,
    ClickTarget,
    MessageRef,
    Ref,
    parse_click,
)
from nurture.tracking.links import parse_open as parse_open_payload
from nurture.tracking.unmask import unmask

EVENT_TYPES = {"open": "email_opened", "click": "email_clicked"}


@dataclass
class Recorded:
    events: int = 0
    counted: int = 0  # aggregate hits (no person)
    duplicates: int = 0  # already recorded by an earlier drain
    dropped: int = 0  # message gone, lead erased, or tracking no longer allowed
    reclassified: int = 0  # earlier clicks unmasked as a scanner's
    classifications: Counter[str] = field(default_factory=Counter)
    lead_ids: set[int] = field(default_factory=set)

    def add(self, other: Recorded) -> None:
        for name in ("events", "counted", "duplicates", "dropped", "reclassified"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.classifications.update(other.classifications)
        self.lead_ids |= other.lead_ids


@dataclass(frozen=True)
class _Parsed:
    hit: Hit
    ref: Ref
    url: str | None  # clicks: the target; None for opens and the honeypot
    honeypot: bool = False

    @property
    def message(self) -> str:
        return self.ref.message if isinstance(self.ref, MessageRef) else ""


@dataclass(frozen=True)
class _Delivery:
    id: int
    lead_id: int | None
    campaign_id: str | None
    step_id: str | None
    delivered: datetime | None


def record_hits(
    session: Session, hits: Sequence[Hit], rules: Rules, drained_at: datetime, aggregate: bool
) -> Recorded:
    done = Recorded()
    fresh = store.claim_hits(session, (hit.id for hit in hits), drained_at)
    parsed = [_parse(hit) for hit in {hit.id: hit for hit in hits if hit.id in fresh}.values()]
    done.duplicates = len(hits) - len(fresh)
    done.dropped = parsed.count(None)
    valid = [item for item in parsed if item is not None]
    personal = [item for item in valid if not isinstance(item.ref, AggregateRef)]
    counts: Counter[store.CountKey] = Counter()
    for item in valid:
        if isinstance(item.ref, AggregateRef):
            _count(counts, item, item.ref.campaign_id, item.ref.step_id, rules, done)
    _record_personal(session, personal, rules, aggregate, counts, done)
    store.add_counts(session, counts)
    return done


def _parse(hit: Hit) -> _Parsed | None:
    try:
        if hit.kind == "open":
            return _Parsed(hit, parse_open_payload(hit.payload), None)
        target: ClickTarget = parse_click(hit.payload)
    except BadPayload:
        return None
    return _Parsed(hit, target.ref, target.url, target.honeypot)


def _facts(item: _Parsed, delivered: datetime | None) -> HitFacts:
    hit = item.hit
    after = None if delivered is None else hit.wall - delivered.timestamp()
    return HitFacts(hit.kind, hit.method, hit.user_agent, hit.ip, after, item.honeypot)


def _count(
    counts: Counter[store.CountKey],
    item: _Parsed,
    campaign_id: str,
    step_id: str,
    rules: Rules,
    done: Recorded,
) -> None:
    verdict = classify(_facts(item, None), rules)
    day = datetime.fromtimestamp(item.hit.at, UTC).date()
    counts[(campaign_id, step_id, EVENT_TYPES[item.hit.kind], verdict.classification, day)] += 1
    done.counted += 1
    done.classifications[verdict.classification] += 1


def _record_personal(
    session: Session,
    items: list[_Parsed],
    rules: Rules,
    aggregate: bool,
    counts: Counter[store.CountKey],
    done: Recorded,
) -> None:
    deliveries = _deliveries(session, {item.message for item in items})
    allowed = _tracking_allowed(session, {d.lead_id for d in deliveries.values() if d.lead_id})
    kept: list[tuple[_Parsed, _Delivery]] = []
    for item in items:
        delivery = deliveries.get(item.message)
        if delivery is None or delivery.lead_id is None:
            done.dropped += 1
        elif delivery.lead_id in allowed:
            kept.append((item, delivery))
        elif aggregate and delivery.campaign_id and delivery.step_id:
            _count(counts, item, delivery.campaign_id, delivery.step_id, rules, done)
        else:
            done.dropped += 1
    verdicts = {item.hit.id: classify(_facts(item, d.delivered), rules) for item, d in kept}
    verdicts.update(_unmask(session, kept, verdicts, rules, done))
    rows = [_event_row(item, d, verdicts[item.hit.id]) for item, d in kept]
    if rows:
        events = cast(Table, Event.__table__)
        session.execute(insert(events), rows)  # Core: no ORM bookkeeping per row
    for row in rows:
        done.events += 1
        done.classifications[row["classification"]] += 1
        done.lead_ids.add(row["lead_id"])


def _deliveries(session: Session, public_ids: set[str]) -> dict[str, _Delivery]:
    if not public_ids:
        return {}
    rows = session.execute(
        select(
            Message.public_id,
            Message.id,
            Message.lead_id,
            Message.campaign_id,
            Message.step_id,
            Message.sent_at,
            Message.claimed_at,
        ).where(Message.public_id.in_(public_ids))
    )
    return {
        public_id: _Delivery(mid, lead_id, campaign, step, sent or claimed)
        for public_id, mid, lead_id, campaign, step, sent, claimed in rows
    }


def _tracking_allowed(session: Session, lead_ids: set[int]) -> set[int]:
    """Leads who allow tracking *now* and whose processing is not restricted."""
    if not lead_ids:
        return set()
    consenting = {
        lead for lead, given in given_purposes(session, lead_ids).items() if "tracking" in given
    }
    restricted = set(
        session.scalars(
            select(Lead.id).where(Lead.id.in_(consenting), Lead.restricted_at.is_not(None))
        )
    )
    return consenting - restricted


def _event_row(item: _Parsed, delivery: _Delivery, verdict: Verdict) -> dict[str, Any]:
    hit = item.hit
    data: dict[str, Any] = {
        "reason": verdict.reason,
        "ip": hit.ip,
        "user_agent": hit.user_agent,
        "method": hit.method,
        "hit": hit.id,
    }
    if hit.kind == "click":
        data["url"] = item.url
        if item.honeypot:
            data["honeypot"] = True
    return {
        "lead_id": delivery.lead_id,
        "type": EVENT_TYPES[hit.kind],
        "occurred_at": datetime.fromtimestamp(hit.at, UTC),
        "campaign_id": delivery.campaign_id,
        "step_id": delivery.step_id,
        "message_id": delivery.id,
        "classification": verdict.classification,
        "source": "tracker",
        "data": data,
    }


def _unmask(
    session: Session,
    kept: list[tuple[_Parsed, _Delivery]],
    verdicts: dict[str, Verdict],
    rules: Rules,
    done: Recorded,
) -> dict[str, Verdict]:
    clicks: dict[int, list[Click]] = {}
    for item, delivery in kept:
        if item.hit.kind == "click":
            hit = item.hit
            click = Click(hit.id, hit.at, (hit.ip, hit.user_agent), item.url, verdicts[hit.id])
            clicks.setdefault(delivery.id, []).append(click)
    unmasked = unmask(session, clicks, rules)
    done.reclassified += unmasked.reclassified
    done.lead_ids |= unmasked.lead_ids
    return unmasked.fresh
