"""The campaigns on disk with their enrolment counts and pause state, and one campaign's
funnel (the report's own query, for that campaign only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nurture.campaigns.registry import CampaignSet, LoadedCampaign
from nurture.models import CampaignState, Enrolment
from nurture.reports.funnel import CampaignFunnel, funnels
from nurture.reports.service import sort_in_memory


class UnknownCampaign(LookupError):
    pass


@dataclass(frozen=True)
class CampaignRow:
    id: str
    name: str
    purpose: str
    steps: int
    enrolled: int
    active: int
    completed: int
    exited: int
    paused: bool = False
    pause_reason: str | None = None
    paused_at: datetime | None = None


@dataclass(frozen=True)
class CampaignDetail:
    row: CampaignRow
    loaded: LoadedCampaign
    funnel: CampaignFunnel


def _enrolment_counts(session: Session, only: str | None = None) -> dict[tuple[str, str], int]:
    query = select(Enrolment.campaign_id, Enrolment.status, func.count()).group_by(
        Enrolment.campaign_id, Enrolment.status
    )
    if only is not None:
        query = query.where(Enrolment.campaign_id == only)
    return {(cid, status): n for cid, status, n in session.execute(query)}


def _row(
    item: LoadedCampaign, counts: dict[tuple[str, str], int], state: CampaignState | None
) -> CampaignRow:
    cid = item.campaign.id
    return CampaignRow(
        id=cid,
        name=item.campaign.name,
        purpose=item.campaign.purpose,
        steps=len(item.campaign.steps),
        enrolled=sum(n for (c, _), n in counts.items() if c == cid),
        active=counts.get((cid, "active"), 0),
        completed=counts.get((cid, "completed"), 0),
        exited=counts.get((cid, "exited"), 0),
        paused=bool(state and state.paused),
        pause_reason=state.pause_reason if state else None,
        paused_at=state.paused_at if state else None,
    )


def campaign_rows(session: Session, campaigns: CampaignSet) -> list[CampaignRow]:
    """Every loaded campaign, by id (two grouped queries, whatever their number)."""
    counts = _enrolment_counts(session)
    states = {state.campaign_id: state for state in session.scalars(select(CampaignState))}
    return [
        _row(item, counts, states.get(cid)) for cid, item in sorted(campaigns.campaigns.items())
    ]


def campaign_detail(session: Session, campaigns: CampaignSet, campaign_id: str) -> CampaignDetail:
    item = campaigns.campaigns.get(campaign_id)
    if item is None:
        raise UnknownCampaign(campaign_id)
    state = session.get(CampaignState, campaign_id)
    row = _row(item, _enrolment_counts(session, campaign_id), state)
    sort_in_memory(session)  # the same funnel queries as `nurture report`
    [funnel] = funnels(session, {campaign_id: item.campaign.step_ids}, only=campaign_id)
    funnel.name = item.campaign.name
    return CampaignDetail(row, item, funnel)
