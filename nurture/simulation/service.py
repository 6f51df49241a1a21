"""Running a simulation for the command line and the admin page."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from nurture.campaigns.registry import CampaignSet, LoadedCampaign
from nurture.campaigns.validate import ValidationSettings, validate_paths
from nurture.db import SessionFactory
from nurture.simulation import population
from nurture.simulation.engagement import Assumptions, Engagement, SeededEngagement
from nurture.simulation.outcome import Outcome, summarise
from nurture.simulation.run import simulate

MAX_LEADS = 1_000_000
MAX_DAYS = 3_650


class SimulationError(ValueError):
    """Unknown campaign or out-of-range parameters; the message says which."""


def find_campaign(campaigns: CampaignSet, campaign_id: str) -> LoadedCampaign:
    loaded = campaigns.campaigns.get(campaign_id)
    if loaded is None:
        known = ", ".join(sorted(campaigns.campaigns)) or "none loaded"
        broken = [str(p) for p in campaigns.problems if Path(p.path).stem == campaign_id]
        hint = f"; its file does not load: {broken[0]}" if broken else ""
        raise SimulationError(f"no campaign {campaign_id!r} (campaigns: {known}){hint}")
    return loaded


def run(
    loaded: LoadedCampaign,
    leads: population.Population,
    start: datetime,
    days: int,
    assumptions: Assumptions | None,
    lint: Sequence[str] = (),
    engagement: Engagement | None = None,
) -> Outcome:
    if not 0 < days <= MAX_DAYS:
        raise SimulationError(f"--days must be between 1 and {MAX_DAYS}")
    end = start + timedelta(days=days)
    reactions = engagement or SeededEngagement(assumptions or Assumptions())
    trace = simulate(loaded.campaign, leads.leads, start, end, reactions)
    return summarise(loaded.campaign, leads, trace, start, end, assumptions, list(lint))


def synthetic_leads(loaded: LoadedCampaign, count: int, seed: int) -> population.Population:
    if not 0 < count <= MAX_LEADS:
        raise SimulationError(f"--leads must be between 1 and {MAX_LEADS:,}")
    return population.synthetic(loaded.campaign, count, seed)


def real_leads(
    session: Session, loaded: LoadedCampaign, suppression_key: str
) -> population.Population:
    return population.real(session, loaded, suppression_key)


def lint(loaded: LoadedCampaign, settings: ValidationSettings) -> list[str]:
    """What `nurture campaigns validate` says about this campaign's file."""
    return [str(problem) for problem in validate_paths([loaded.path], settings)]


def simulate_campaign(
    campaigns: CampaignSet,
    campaign_id: str,
    *,
    settings: ValidationSettings,
    start: datetime,
    days: int,
    assumptions: Assumptions,
    count: int = 1000,
    real: SessionFactory | None = None,
    suppression_key: str = "",
) -> Outcome:
    """The whole run: synthetic leads, or with `real` the matching leads read (never
    written: the session is only closed) through that factory."""
    loaded = find_campaign(campaigns, campaign_id)
    if real is None:
        leads = synthetic_leads(loaded, count, assumptions.seed)
    else:
        with real() as session:
            leads = real_leads(session, loaded, suppression_key)
    return run(loaded, leads, start, days, assumptions, lint(loaded, settings))
