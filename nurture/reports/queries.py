"""The SQL behind the funnels (`reports.funnel` says what each figure means).

Each count is a (campaign, step, value) list, with step None for the campaign's total;
rows are built as `Select`s of (campaign_id, step_id, lead_key) where a lead's key is its
id, or for an erased lead (no id left) its message, still one person.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, cast, func, null, or_, select
from sqlalchemy.orm import Session

from nurture.models import Event, Message

Rows = Select[*tuple[Any, ...]]  # (campaign_id, step_id, lead_key) rows


def _human(classification: Any) -> ColumnElement[bool]:
    return or_(classification.is_(None), classification == "human")


def all_counts(session: Session, only: str | None) -> Iterable[tuple[str, Sequence[Any]]]:
    """(count name, rows of (campaign, step or None for the campaign total, value))."""
    bounced = _bounced(only)
    yield "bounced", _per_step_and_total(session, bounced)
    yield "sent", _sent_counts(session, only, bounced)
    for name, event_type in (("opened", "email_opened"), ("clicked", "email_clicked")):
        rows = _engagement(session, only, event_type)
        yield name, [(campaign, step, people) for campaign, step, people, _ in rows]
        yield (
            f"{name}_machines",
            [(campaign, step, machines) for campaign, step, _, machines in rows],
        )
    yield "unsubscribed", _per_step_and_total(session, _unsubscribed(only), once_per_step=False)
    yield "converted", _per_step_and_total(session, _converted(only))


def _per_step_and_total(session: Session, rows: Rows, once_per_step: bool = True) -> list[Any]:
    """Distinct leads per (campaign, step) and per campaign, from one pass over `rows`
    (campaign_id, step_id, lead_key) — a CTE used twice is computed once.

    `once_per_step`: a lead has at most one row per step (one message per lead and step,
    the schema's unique keys), so a step's rows are counted without DISTINCT.
    """
    found = rows.cte("found")
    per_step = func.count() if once_per_step else func.count(func.distinct(found.c.lead_key))
    by_step = select(found.c.campaign_id, found.c.step_id, per_step).group_by(
        found.c.campaign_id, found.c.step_id
    )
    no_step = cast(null(), Message.step_id.type)
    per_campaign = func.count(func.distinct(found.c.lead_key))
    by_campaign = select(found.c.campaign_id, no_step, per_campaign).group_by(found.c.campaign_id)
    return list(session.execute(by_step.union_all(by_campaign)))


def _campaign_filter(column: Any, only: str | None) -> ColumnElement[bool]:
    condition: ColumnElement[bool] = column == only if only is not None else column.is_not(None)
    return condition


def _lead_key(message_id: Any, lead_id: Any) -> Any:
    """Who: the lead, or for an erased lead (no lead id left) its message, still one mail."""
    return func.coalesce(lead_id, -message_id)


def _bounced(only: str | None) -> Rows:
    return select(
        Event.campaign_id,
        Event.step_id,
        func.coalesce(Event.lead_id, -Event.id).label("lead_key"),
    ).where(Event.type == "email_bounced", _campaign_filter(Event.campaign_id, only))


def _sent_counts(session: Session, only: str | None, bounced: Rows) -> list[Any]:
    """Per step: messages accepted plus hard bounces (one message per lead and step, so
    counted straight from the (campaign, step, status) index); per campaign: distinct
    leads over all steps."""
    accepted = (
        select(Message.campaign_id, Message.step_id, func.count())
        .where(_accepted(only))
        .group_by(Message.campaign_id, Message.step_id)
    )
    refused = bounced.subquery()
    refused_per_step = select(refused.c.campaign_id, refused.c.step_id, func.count()).group_by(
        refused.c.campaign_id, refused.c.step_id
    )
    totals: dict[tuple[Any, Any], int] = {}
    for campaign_id, step_id, count in session.execute(accepted.union_all(refused_per_step)):
        totals[(campaign_id, step_id)] = totals.get((campaign_id, step_id), 0) + count
    leads = select(Message.campaign_id, _lead_key(Message.id, Message.lead_id).label("lead_key"))
    both = (
        leads.where(_accepted(only))
        .union_all(select(refused.c.campaign_id, refused.c.lead_key))
        .subquery()
    )
    per_campaign = session.execute(
        select(both.c.campaign_id, func.count(func.distinct(both.c.lead_key))).group_by(
            both.c.campaign_id
        )
    )
    return [(c, s, n) for (c, s), n in totals.items()] + [(c, None, n) for c, n in per_campaign]


def _accepted(only: str | None) -> ColumnElement[bool]:
    return and_(
        Message.kind == "marketing",
        Message.status == "sent",
        _campaign_filter(Message.campaign_id, only),
    )


def _engagement(session: Session, only: str | None, event_type: str) -> list[Any]:
    """(campaign, step or None, leads engaged by a person, leads engaged only by machines).

    One row per message with an open (click) and whether a person made one; a campaign's
    machines figure counts leads with a step engaged only by machines.
    """
    person = func.max(case((_human(Event.classification), 1), else_=0)).label("person")
    messages = (
        select(
            Event.campaign_id,
            Event.step_id,
            func.max(_lead_key(Event.message_id, Event.lead_id)).label("lead_key"),
            person,
        )
        .where(Event.type == event_type, _campaign_filter(Event.campaign_id, only))
        .group_by(Event.campaign_id, Event.step_id, Event.message_id)
        .cte("engaged")
    )
    people = messages.c.person == 1
    by_step = select(
        messages.c.campaign_id,
        messages.c.step_id,
        func.count().filter(people),
        func.count().filter(~people),
    ).group_by(messages.c.campaign_id, messages.c.step_id)
    by_campaign = select(
        messages.c.campaign_id,
        cast(null(), Message.step_id.type),
        func.count(func.distinct(case((people, messages.c.lead_key)))),
        func.count(func.distinct(case((~people, messages.c.lead_key)))),
    ).group_by(messages.c.campaign_id)
    return list(session.execute(by_step.union_all(by_campaign)))


def _unsubscribed(only: str | None) -> Rows:
    """Each unsubscribe, with the last step of its campaign sent to the lead before it
    (a correlated lookup per unsubscribe: they are few, and messages are indexed by lead)."""
    last_step = (
        select(Message.step_id)
        .where(
            Message.lead_id == Event.lead_id,
            Message.campaign_id == Event.campaign_id,
            Message.status == "sent",
            Message.sent_at <= Event.occurred_at,
        )
        .order_by(Message.sent_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    attributed = (
        select(Event.campaign_id, last_step.label("step_id"), Event.lead_id.label("lead_key"))
        .where(Event.type == "unsubscribed", _campaign_filter(Event.campaign_id, only))
        .subquery()
    )
    return select(attributed.c.campaign_id, attributed.c.step_id, attributed.c.lead_key).where(
        attributed.c.step_id.is_not(None)
    )


def _converted(only: str | None) -> Rows:
    """Leads converted after receiving a step of the campaign. A conversion reported with
    its campaign (and step) counts for that campaign (and step) only; one without counts
    for every step received before it. DISTINCT: one row per message, however many
    conversions a lead has (the per-step count relies on it)."""
    conversions = (
        select(
            Event.lead_id,
            Event.campaign_id,
            Event.step_id,
            func.max(Event.occurred_at).label("latest"),
        )
        .where(Event.type == "converted", Event.lead_id.is_not(None))
        .group_by(Event.lead_id, Event.campaign_id, Event.step_id)
        .subquery()
    )
    return (
        select(Message.campaign_id, Message.step_id, Message.lead_id.label("lead_key"))
        .distinct()
        .join(conversions, conversions.c.lead_id == Message.lead_id)
        .where(
            Message.status == "sent",
            Message.kind == "marketing",
            Message.sent_at <= conversions.c.latest,
            or_(
                conversions.c.campaign_id.is_(None),
                conversions.c.campaign_id == Message.campaign_id,
            ),
            or_(conversions.c.step_id.is_(None), conversions.c.step_id == Message.step_id),
            _campaign_filter(Message.campaign_id, only),
        )
    )
