"""Loading what the pure decision needs for a batch of enrolments, in a few queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from nurture.campaigns.schema import Campaign
from nurture.consent.ledger import given_purposes
from nurture.consent.suppression import suppressed_among
from nurture.db import member_of
from nurture.engine.due import Due
from nurture.engine.leadrows import LeadRow, load_lead_rows
from nurture.leads.notices import awaiting_notice
from nurture.models import Event, Lead
from nurture.scheduling.views import EventView, LeadView, Situation

ENGAGEMENT_EVENTS = frozenset({"email_opened", "email_clicked"})


def history_types(campaigns: Iterable[Campaign]) -> set[str]:
    """Event types any condition or exit of these campaigns reads."""
    types: set[str] = set()
    for campaign in campaigns:
        types.update(campaign.exit.events)
        if any(step.if_ and step.if_.referenced_steps() for step in campaign.steps):
            types.update(ENGAGEMENT_EVENTS)
    return types


@dataclass
class BatchFacts:
    leads: dict[int, LeadRow]
    consents: dict[int, set[str]]
    suppressed: set[str]
    history: dict[int, list[EventView]]
    count_machines: bool = False  # NURTURE_COUNT_MACHINE_ENGAGEMENT
    awaiting_notice: set[int] = field(default_factory=set)  # art. 14 notice not sent yet


def load_facts(
    session: Session,
    enrolments: Sequence[Due],
    campaigns: Iterable[Campaign],
    suppression_key: str,
    count_machines: bool = False,
) -> BatchFacts:
    lead_ids = {enrolment.lead_id for enrolment in enrolments}
    leads = load_lead_rows(session, lead_ids)
    since = min((e.enrolled_at for e in enrolments), default=datetime.now(UTC))
    emails = [lead.email for lead in leads.values()]
    return BatchFacts(
        leads=leads,
        consents=given_purposes(session, lead_ids),
        suppressed=suppressed_among(session, suppression_key, emails),
        history=_history(session, lead_ids, history_types(campaigns), since),
        count_machines=count_machines,
        awaiting_notice=awaiting_notice(session, lead_ids),
    )


def _history(
    session: Session, lead_ids: set[int], types: set[str], since: datetime
) -> dict[int, list[EventView]]:
    history: dict[int, list[EventView]] = defaultdict(list)
    if not types or not lead_ids:
        return history
    rows = session.execute(
        select(
            Event.lead_id,
            Event.type,
            Event.occurred_at,
            Event.campaign_id,
            Event.step_id,
            Event.classification,
        ).where(
            member_of(session, Event.lead_id, lead_ids),
            Event.type.in_(types),
            Event.occurred_at >= since,
        )
    )
    for lead_id, event_type, occurred_at, campaign_id, step_id, classification in rows:
        if lead_id is not None:
            view = EventView(event_type, occurred_at, campaign_id, step_id, classification)
            history[lead_id].append(view)
    return history


def lead_view(lead: Lead | LeadRow, notice_pending: bool = False) -> LeadView:
    return LeadView(
        timezone=lead.timezone,
        score=lead.score,
        temperature=lead.temperature,
        tags=frozenset(lead.tags or ()),
        paused_until=lead.paused_until,
        restricted=lead.restricted_at is not None,
        awaiting_notice=notice_pending,
    )


def situation_of(enrolment: Due, campaign: Campaign, facts: BatchFacts) -> Situation:
    lead = facts.leads[enrolment.lead_id]
    return Situation(
        enrolment=enrolment.view(),
        lead=lead_view(lead, lead.id in facts.awaiting_notice),
        history=tuple(
            event
            for event in facts.history.get(lead.id, ())
            if event.occurred_at >= enrolment.enrolled_at
        ),
        consented=campaign.purpose in facts.consents.get(lead.id, set()),
        suppressed=lead.email in facts.suppressed,
        count_machines=facts.count_machines,
    )
