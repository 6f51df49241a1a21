"""The SQL behind the funnels (`reports.funnel` says what each figure means).

Each count is a (campaign, step, value) list, with step None for the campaign's total.
A lead's key is its id, or for an erased lead (no id left) its message — for a bounce,
the bounce event: one person each, however the two numberings happen to meet.

Over a million events (`bench/report.py`) the time goes into reading rows, so each
source is read once for its per-step and its per-campaign figures (GROUPING SETS on
PostgreSQL; SQLite, which has none, groups a CTE twice), sent mail and opens and clicks
from an index that holds every column needed, in the order they are grouped in: the
report's indexes on `events` and `messages` (see the models). Only bounces,
unsubscribes and conversions, which are few, read table rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Executable,
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    tuple_,
)
from sqlalchemy.orm import Session

from nurture.db import is_postgres
from nurture.reports.tables import Event, Message

Rows = Select[*tuple[Any, ...]]  # (campaign_id, step_id, …) to group
Count = tuple[str, str | None, int]  # (campaign, step or None for the total, value)
Grouped = tuple[str, str | None, tuple[int, ...]]  # the same with several values
Aggregates = Callable[[Any], list[ColumnElement[Any]]]  # grouped rows' columns → aggregates


def all_counts(session: Session, only: str | None) -> list[tuple[str, list[Count]]]:
    """(count name, its values per step and per campaign)."""
    bounced = _bounced(session, only)
    counts = [
        # Per step, bounces (one message per lead and step); per campaign, people.
        ("bounced", [(c, s, n if s is not None else people) for c, s, (n, people, _) in bounced]),
        ("sent", _sent(_accepted_counts(session, only), bounced)),
    ]
    for name, event_type in (("opened", "email_opened"), ("clicked", "email_clicked")):
        engaged = _engagement(session, only, event_type)
        counts.append((name, [(c, s, people) for c, s, (people, _) in engaged]))
        counts.append((f"{name}_machines", [(c, s, machines) for c, s, (_, machines) in engaged]))
    counts.append(("unsubscribed", [(c, s, n) for c, s, (n,) in _unsubscribed(session, only)]))
    counts.append(("converted", [(c, s, n) for c, s, (n,) in _converted(session, only)]))
    return counts


def _per_step_and_campaign(
    session: Session, rows: Rows, per_step: Aggregates, per_campaign: Aggregates
) -> list[Grouped]:
    """`per_step` aggregates of `rows` (campaign_id, step_id, …) per (campaign, step) and
    `per_campaign` ones per campaign, from one pass over `rows`. Rows without a step
    count in their campaign's total only (there should be none)."""
    # Every group computes both kinds of aggregates; each row keeps those of its level.
    if is_postgres(session):
        found: Any = rows.subquery("found")
        step_values, campaign_values = per_step(found.c), per_campaign(found.c)
        statement: Executable = select(
            found.c.campaign_id,
            found.c.step_id,
            func.grouping(found.c.step_id),  # 1 on a campaign's total
            *step_values,
            *campaign_values,
        ).group_by(
            func.grouping_sets(
                tuple_(found.c.campaign_id, found.c.step_id), tuple_(found.c.campaign_id)
            )
        )
    else:
        shared: Any = rows.cte("found")
        step_values, campaign_values = per_step(shared.c), per_campaign(shared.c)
        values = [*step_values, *campaign_values]
        by_step = select(shared.c.campaign_id, shared.c.step_id, literal(0), *values)
        by_campaign = select(shared.c.campaign_id, cast(null(), String), literal(1), *values)
        statement = by_step.group_by(shared.c.campaign_id, shared.c.step_id).union_all(
            by_campaign.group_by(shared.c.campaign_id)
        )
    width = len(step_values)
    grouped: list[Grouped] = []
    for campaign_id, step_id, total, *computed in session.execute(statement):
        if total:
            grouped.append((campaign_id, None, tuple(computed[width:])))
        elif step_id is not None:
            grouped.append((campaign_id, step_id, tuple(computed[:width])))
    return grouped


def _campaign_filter(column: Any, only: str | None) -> ColumnElement[bool]:
    condition: ColumnElement[bool] = column == only if only is not None else column.is_not(None)
    return condition


def _lead_key(message_id: Any, lead_id: Any) -> Any:
    """Who: the lead, or for an erased lead (no lead id left) its message, still one mail."""
    return func.coalesce(lead_id, -message_id)


def _accepted(only: str | None) -> ColumnElement[bool]:
    """Marketing mail the mail server took: the condition of the report's partial indexes
    on `messages`."""
    return and_(
        Message.kind == "marketing",
        Message.status == "sent",
        _campaign_filter(Message.campaign_id, only),
    )


def _accepted_counts(session: Session, only: str | None) -> list[Count]:
    """Messages accepted per step (one per lead and step: the schema's unique keys), and
    per campaign the people they went to: distinct lead ids, plus one person per message
    of an erased lead. Read in (campaign, step, lead) order from their index."""
    rows = select(Message.campaign_id, Message.step_id, Message.lead_id).where(_accepted(only))

    def per_step(c: Any) -> list[ColumnElement[Any]]:
        return [func.count()]

    def per_campaign(c: Any) -> list[ColumnElement[Any]]:
        return [func.count(func.distinct(c.lead_id)) + func.count().filter(c.lead_id.is_(None))]

    grouped = _per_step_and_campaign(session, rows, per_step, per_campaign)
    return [(c, s, n) for c, s, (n,) in grouped]


def _bounced(session: Session, only: str | None) -> list[Grouped]:
    """Hard bounces: (bounces, people, people without an accepted mail of the campaign)."""
    got_mail = exists().where(
        Message.kind == "marketing",
        Message.status == "sent",
        Message.campaign_id == Event.campaign_id,
        Message.lead_id == Event.lead_id,
    )
    rows = select(
        Event.campaign_id,
        Event.step_id,
        func.coalesce(Event.lead_id, -Event.id).label("lead_key"),
        case((or_(Event.lead_id.is_(None), ~got_mail), 1), else_=0).label("no_mail"),
    ).where(Event.type == "email_bounced", _campaign_filter(Event.campaign_id, only))

    def aggregates(c: Any) -> list[ColumnElement[Any]]:
        people = func.count(func.distinct(c.lead_key))
        return [func.count(), people, people.filter(c.no_mail == 1)]

    return _per_step_and_campaign(session, rows, aggregates, aggregates)


def _sent(accepted: list[Count], bounced: list[Grouped]) -> list[Count]:
    """Accepted mail plus hard bounces: per step, messages (one per lead); per campaign,
    the people mailed plus those whose mail of the campaign all bounced."""
    totals = {(campaign_id, step_id): count for campaign_id, step_id, count in accepted}
    for campaign_id, step_id, (bounces, _, without_mail) in bounced:
        more = bounces if step_id is not None else without_mail
        totals[(campaign_id, step_id)] = totals.get((campaign_id, step_id), 0) + more
    return [(campaign_id, step_id, count) for (campaign_id, step_id), count in totals.items()]


def _engagement(session: Session, only: str | None, event_type: str) -> list[Grouped]:
    """(messages or leads engaged by a person, only by machines) per step and campaign.

    One row per message with an open (click) and whether a person made one, read from
    the events index in (campaign, step, message) order, so grouped without sorting; a
    campaign's machines figure counts leads with a step engaged only by machines.
    """
    person = func.max(case((_human(Event.classification), 1), else_=0))
    per_message = (
        select(
            Event.campaign_id,
            Event.step_id,
            func.max(_lead_key(Event.message_id, Event.lead_id)).label("lead_key"),
            person.label("person"),
        )
        .where(Event.type == event_type, _campaign_filter(Event.campaign_id, only))
        .group_by(Event.campaign_id, Event.step_id, Event.message_id)
    )

    def per_step(c: Any) -> list[ColumnElement[Any]]:
        return [func.count().filter(c.person == 1), func.count().filter(c.person != 1)]

    def per_campaign(c: Any) -> list[ColumnElement[Any]]:
        leads = func.count(func.distinct(c.lead_key))
        return [leads.filter(c.person == 1), leads.filter(c.person != 1)]

    return _per_step_and_campaign(session, per_message, per_step, per_campaign)


def _human(classification: Any) -> ColumnElement[bool]:
    return or_(classification.is_(None), classification == "human")


def _unsubscribed(session: Session, only: str | None) -> list[Grouped]:
    """Each unsubscribe, under the last step of its campaign sent to the lead before it:
    as recorded with the event (which survives the lead's erasure), else looked up (a
    correlated lookup per unsubscribe: they are few, and messages are indexed by lead);
    one before any step counts nowhere."""
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
    rows = select(
        Event.campaign_id,
        func.coalesce(Event.step_id, last_step).label("step_id"),
        func.coalesce(Event.lead_id, -Event.id).label("lead_key"),
    ).where(Event.type == "unsubscribed", _campaign_filter(Event.campaign_id, only))

    # Filtered in the aggregate, not by a WHERE on `step_id`: PostgreSQL would then look
    # each step up twice.
    def aggregates(c: Any) -> list[ColumnElement[Any]]:
        return [func.count(func.distinct(c.lead_key)).filter(c.step_id.is_not(None))]

    return _per_step_and_campaign(session, rows, aggregates, aggregates)


def _converted(session: Session, only: str | None) -> list[Grouped]:
    """Leads converted after receiving a step of the campaign. A conversion reported with
    its campaign (and step) counts for that campaign (and step) only; one without counts
    for every step received before it. DISTINCT: one row per message, however many
    conversions a lead has (the per-step count relies on it). Conversions are few: their
    leads' mail is looked up in the (lead, campaign) index."""
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
    rows = (
        select(Message.campaign_id, Message.step_id, Message.lead_id.label("lead_key"))
        .distinct()
        .join(conversions, conversions.c.lead_id == Message.lead_id)
        .where(
            _accepted(only),
            Message.sent_at <= conversions.c.latest,
            or_(
                conversions.c.campaign_id.is_(None),
                conversions.c.campaign_id == Message.campaign_id,
            ),
            or_(conversions.c.step_id.is_(None), conversions.c.step_id == Message.step_id),
        )
    )

    def per_step(c: Any) -> list[ColumnElement[Any]]:
        return [func.count()]

    def per_campaign(c: Any) -> list[ColumnElement[Any]]:
        return [func.count(func.distinct(c.lead_key))]

    return _per_step_and_campaign(session, rows, per_step, per_campaign)
