"""Keeping `campaign_states` in step with the campaign files on disk."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from nurture.campaigns.registry import LoadedCampaign
from nurture.db import is_postgres
from nurture.models import CampaignState, Enrolment, Message


def sync_campaign_states(
    session: Session, loaded: Iterable[LoadedCampaign], now: datetime
) -> dict[str, CampaignState]:
    """Create states for new campaigns; on a new version, re-evaluate its enrolments.

    A changed file can move waits and windows, so every active enrolment of the campaign
    is made due at once; the pure decision then recomputes its real next run from the
    new definition (a lead continues by step id, see `scheduling.steps`).
    """
    items = list(loaded)
    _create_missing(session, items, now)
    states = {state.campaign_id: state for state in session.scalars(select(CampaignState))}
    for item in items:
        state = states[item.campaign.id]
        if state.version != item.version:
            state.version = item.version
            state.step_ids = item.campaign.step_ids
            session.execute(
                update(Enrolment)
                .where(Enrolment.campaign_id == item.campaign.id, Enrolment.status == "active")
                .values(
                    next_run_at=func.coalesce(Enrolment.last_step_at, Enrolment.enrolled_at),
                )
                .execution_options(synchronize_session=False)
            )
    session.flush()
    return states


def _create_missing(session: Session, items: list[LoadedCampaign], now: datetime) -> None:
    """States for new campaigns. Two schedulers may meet a new file at the same moment:
    the second insert waits for the first and does nothing, instead of failing its pass."""
    known = set(session.scalars(select(CampaignState.campaign_id)))
    rows = [
        {
            "campaign_id": item.campaign.id,
            "version": item.version,
            "step_ids": item.campaign.step_ids,
            "updated_at": now,
        }
        for item in items
        if item.campaign.id not in known
    ]
    if rows:
        dialect = postgresql if is_postgres(session) else sqlite
        session.execute(dialect.insert(CampaignState).on_conflict_do_nothing(), rows)


def pause_campaign(session: Session, campaign_id: str, reason: str, now: datetime) -> None:
    state = session.get(CampaignState, campaign_id, with_for_update=True)
    if state is not None and not state.paused:
        state.paused, state.pause_reason, state.paused_at = True, reason, now


def resume_campaign(session: Session, campaign_id: str) -> bool:
    """Unpause; the rows the pause held are handed to the broker by the next pass."""
    state = session.get(CampaignState, campaign_id)
    if state is None or not state.paused:
        return False
    state.paused, state.pause_reason, state.paused_at = False, None, None
    state.consecutive_failures = 0
    session.execute(
        update(Message)
        .where(Message.campaign_id == campaign_id, Message.status == "queued")
        .values(enqueued_at=None)
        .execution_options(synchronize_session=False)
    )
    return True
