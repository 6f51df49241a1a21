"""Keeping `campaign_states` in step with the campaign files on disk."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from nurture.campaigns.registry import LoadedCampaign
from nurture.models import CampaignState, Enrolment


def sync_campaign_states(
    session: Session, loaded: Iterable[LoadedCampaign], now: datetime
) -> dict[str, CampaignState]:
    """Create states for new campaigns; on a new version, re-evaluate its enrolments.

    A changed file can move waits and windows, so every active enrolment of the campaign
    is made due at once; the pure decision then recomputes its real next run from the
    new definition (a lead continues by step id, see `scheduling.steps`).
    """
    states = {state.campaign_id: state for state in session.scalars(select(CampaignState))}
    for item in loaded:
        state = states.get(item.campaign.id)
        if state is None:
            state = CampaignState(
                campaign_id=item.campaign.id,
                version=item.version,
                step_ids=item.campaign.step_ids,
                updated_at=now,
            )
            session.add(state)
            states[item.campaign.id] = state
        elif state.version != item.version:
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


def pause_campaign(session: Session, campaign_id: str, reason: str, now: datetime) -> None:
    state = session.get(CampaignState, campaign_id, with_for_update=True)
    if state is not None and not state.paused:
        state.paused, state.pause_reason, state.paused_at = True, reason, now


def resume_campaign(session: Session, campaign_id: str) -> bool:
    state = session.get(CampaignState, campaign_id)
    if state is None or not state.paused:
        return False
    state.paused, state.pause_reason, state.paused_at = False, None, None
    state.consecutive_failures = 0
    return True
