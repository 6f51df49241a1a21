"""Enrolling leads whose entry event happened and who match the campaign's `where`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nurture.campaigns.registry import LoadedCampaign
from nurture.consent.ledger import given_purposes
from nurture.consent.suppression import suppressed_among
from nurture.db import lock_for_writing, member_of
from nurture.engine.bulk import insert_ignoring_conflicts
from nurture.engine.cursor import settled
from nurture.engine.leadrows import load_lead_rows, where_facts
from nurture.models import CampaignState, Enrolment, Event, new_public_id
from nurture.scheduling.entry import matches_where

BATCH = 5_000


def lead_facts(lead: Any) -> dict[str, Any]:
    """The lead (a Lead or a LeadRow) as `where:` filters see it."""
    return where_facts(lead)


def enrol_from_events(
    session: Session,
    item: LoadedCampaign,
    suppression_key: str,
    now: datetime,
    wall_now: datetime | None = None,
) -> int:
    """Consume entry events past the campaign's cursor; returns how many leads enrolled.

    The cursor row is locked so two schedulers do not read the same events; the unique
    (lead, campaign) key makes enrolment idempotent, which is also what lets the cursor
    stay behind recent events (`nurture.engine.cursor`). Leads without consent for the
    campaign's purpose, or suppressed, are not enrolled.
    """
    campaign = item.campaign
    lock_for_writing(session)
    state = session.get(CampaignState, campaign.id, with_for_update=True)
    if state is None or state.paused:
        return 0
    enrolled, after, settling = 0, state.entry_cursor, False
    wall = wall_now or now
    while True:
        events = session.execute(
            select(Event.id, Event.lead_id, Event.created_at, Event.occurred_at)
            .where(Event.type == campaign.entry.on, Event.id > after)
            .where(Event.lead_id.is_not(None))
            .order_by(Event.id)
            .limit(BATCH)
        ).all()
        if not events:
            return enrolled
        after = events[-1].id
        if not settling:  # the cursor moves only over a leading run of settled events
            # An event dated after `now` has not happened yet for this pass: the cursor
            # waits at it as at an unsettled one, else it would never be read again.
            pairs = ((e.id, e.created_at if e.occurred_at <= now else wall) for e in events)
            state.entry_cursor = settled(state.entry_cursor, pairs, wall)
            settling = state.entry_cursor != after
        lead_ids = {e.lead_id for e in events if e.lead_id is not None and e.occurred_at <= now}
        enrolled += _enrol_leads(session, item, lead_ids, suppression_key, now)
        if len(events) < BATCH:
            return enrolled


def _enrol_leads(
    session: Session, item: LoadedCampaign, lead_ids: set[int], suppression_key: str, now: datetime
) -> int:
    campaign = item.campaign
    already = set(
        session.scalars(
            select(Enrolment.lead_id).where(
                Enrolment.campaign_id == campaign.id,
                member_of(session, Enrolment.lead_id, lead_ids),
            )
        )
    )
    leads = list(load_lead_rows(session, lead_ids - already).values())
    consents = given_purposes(session, [lead.id for lead in leads])
    suppressed = suppressed_among(session, suppression_key, [lead.email for lead in leads])
    rows = [
        {
            "lead_id": lead.id,
            "campaign_id": campaign.id,
            "campaign_version": item.version,
            "status": "active",
            "steps_done": [],
            "next_run_at": now,
            "enrolled_at": now,
            "updated_at": now,
            "public_id": new_public_id(),
        }
        for lead in leads
        if campaign.purpose in consents[lead.id]
        and lead.email not in suppressed
        and lead.restricted_at is None
        and matches_where(campaign.entry.where, lead_facts(lead))
    ]
    return len(insert_ignoring_conflicts(session, Enrolment.__table__, rows))  # type: ignore[arg-type]
