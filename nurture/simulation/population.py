"""The leads a simulation runs on: synthetic ones, or the real ones that match (read-only).

Synthetic leads follow a Spanish company's typical list: mostly Spain, then Latin
America, Portugal and the rest of Europe, a few in the United States, and one in twenty
without a known time zone (the campaign's window time zone then applies, as in the
engine). Scores lean low (a triangular draw with mode 10) and temperatures follow the
default thresholds (warm from 40, hot from 70); tags the campaign asks about are each
held by half of the leads. Only leads that pass the campaign's `entry.where` enrol.

Real leads: those with an active enrolment continue from where they are; those whose
entry event the scheduler has not consumed yet enrol at the start, if they have consent,
are not suppressed or restricted and match `entry.where` — the engine's own rules.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nurture.campaigns.registry import LoadedCampaign
from nurture.campaigns.schema import Campaign
from nurture.consent.ledger import given_purposes
from nurture.consent.suppression import suppressed_among
from nurture.engine.enrolment import lead_facts
from nurture.engine.situation import history_types, lead_view
from nurture.models import CampaignState, Enrolment, Event, Lead
from nurture.scheduling.entry import matches_where
from nurture.scheduling.views import EventView, LeadView

# (weight, time zone, locale, country)
MIX: tuple[tuple[int, str | None, str, str], ...] = (
    (40, "Europe/Madrid", "es-ES", "ES"),
    (4, "Atlantic/Canary", "es-ES", "ES"),
    (5, "Europe/Lisbon", "pt-PT", "PT"),
    (8, "Europe/London", "en-GB", "GB"),
    (7, "Europe/Paris", "fr-FR", "FR"),
    (6, "Europe/Berlin", "de-DE", "DE"),
    (10, "America/Mexico_City", "es-MX", "MX"),
    (5, "America/Bogota", "es-CO", "CO"),
    (5, "America/Argentina/Buenos_Aires", "es-AR", "AR"),
    (5, "America/New_York", "en-US", "US"),
    (5, None, "es", "ES"),
)
SOURCES = ("web", "import", "webinar", "fair", "api")
INDUSTRIES = ("Software", "Retail", "Manufacturing", "Professional services")
SIZES = ("1-10", "11-50", "51-200", "201-1000")
WARM, HOT = 40, 70
_BATCH = 500


@dataclass
class SimLead:
    key: str  # "synthetic-17", or a real lead's public id
    view: LeadView
    enrolled_at: datetime | None = None  # None: enrols when the simulation starts
    steps_done: tuple[str, ...] = ()
    last_step_at: datetime | None = None
    next_at: datetime | None = None  # an enrolment's next run, if it has one
    history: tuple[EventView, ...] = ()
    consented: bool = True
    suppressed: bool = False


@dataclass
class Population:
    leads: list[SimLead]
    kind: str  # "synthetic" or "real"
    considered: int  # leads generated or found
    not_enrolled: dict[str, int] = field(default_factory=dict)  # reason → count


def synthetic(campaign: Campaign, count: int, seed: int) -> Population:
    rng = random.Random(f"population:{seed}")
    weights = [weight for weight, *_ in MIX]
    tags = _asked_tags(campaign)
    population = Population([], "synthetic", count)
    for index in range(count):
        _, zone, locale, country = rng.choices(MIX, weights)[0]
        score = int(rng.triangular(0, 100, 10))
        facts: dict[str, Any] = {
            "country": country,
            "locale": locale,
            "source": rng.choice(SOURCES),
            "industry": rng.choice(INDUSTRIES),
            "company_size": rng.choice(SIZES),
            "lifecycle_stage": "lead",
            "score": score,
            "temperature": "hot" if score >= HOT else "warm" if score >= WARM else "cold",
            "tags": [tag for tag in tags if rng.random() < 0.5],
        }
        if not matches_where(campaign.entry.where, facts):
            _count(population.not_enrolled, "entry filters (where)")
            continue
        view = LeadView(
            timezone=zone,
            score=score,
            temperature=facts["temperature"],
            tags=frozenset(facts["tags"]),
        )
        population.leads.append(SimLead(f"synthetic-{index}", view))
    return population


def _asked_tags(campaign: Campaign) -> list[str]:
    tags = list(campaign.entry.where.tags or []) if campaign.entry.where else []
    tags += [step.if_.has_tag for step in campaign.steps if step.if_ and step.if_.has_tag]
    return list(dict.fromkeys(tags))


def real(session: Session, loaded: LoadedCampaign, suppression_key: str) -> Population:
    """Read-only: the caller's session is never flushed or committed."""
    campaign = loaded.campaign
    enrolments = {
        row.lead_id: row
        for row in session.scalars(select(Enrolment).where(Enrolment.campaign_id == campaign.id))
    }
    active = {lead_id: row for lead_id, row in enrolments.items() if row.status == "active"}
    entering = _pending_entries(session, campaign) - set(enrolments)
    leads = _leads(session, set(active) | entering)
    consents = given_purposes(session, list(leads))
    suppressed = suppressed_among(session, suppression_key, [lead.email for lead in leads.values()])
    histories = _histories(session, campaign, active.values())
    population = Population([], "real", len(leads))
    for lead_id, lead in leads.items():
        sim = SimLead(
            lead.public_id,
            lead_view(lead),
            consented=campaign.purpose in consents.get(lead_id, set()),
            suppressed=lead.email in suppressed,
        )
        row = active.get(lead_id)
        if row is not None:
            sim.enrolled_at, sim.last_step_at = row.enrolled_at, row.last_step_at
            sim.steps_done, sim.next_at = tuple(row.steps_done or ()), row.next_run_at
            sim.history = tuple(histories.get(lead_id, ()))
            population.leads.append(sim)
        elif (reason := _refusal(campaign, lead, sim)) is not None:
            _count(population.not_enrolled, reason)
        else:
            population.leads.append(sim)
    return population


def _pending_entries(session: Session, campaign: Campaign) -> set[int]:
    """Leads whose entry event the scheduler has not consumed yet (all, for a new campaign)."""
    state = session.get(CampaignState, campaign.id)
    cursor = state.entry_cursor if state is not None else 0
    return {
        lead_id
        for lead_id in session.scalars(
            select(Event.lead_id)
            .where(Event.type == campaign.entry.on, Event.id > cursor, Event.lead_id.is_not(None))
            .distinct()
        )
        if lead_id is not None
    }


def _leads(session: Session, lead_ids: set[int]) -> dict[int, Lead]:
    ids = sorted(lead_ids)
    found: dict[int, Lead] = {}
    for start in range(0, len(ids), _BATCH):
        part = ids[start : start + _BATCH]
        found.update(
            (lead.id, lead) for lead in session.scalars(select(Lead).where(Lead.id.in_(part)))
        )
    return found


def _histories(
    session: Session, campaign: Campaign, enrolments: Iterable[Enrolment]
) -> dict[int, list[EventView]]:
    """Engagement and exit events since each active enrolment began."""
    since = {row.lead_id: row.enrolled_at for row in enrolments}
    types = history_types([campaign]) | {"unsubscribed"}
    found: dict[int, list[EventView]] = {}
    ids = sorted(since)
    for start in range(0, len(ids), _BATCH):
        rows = session.execute(
            select(
                Event.lead_id,
                Event.type,
                Event.occurred_at,
                Event.campaign_id,
                Event.step_id,
                Event.classification,
            ).where(Event.lead_id.in_(ids[start : start + _BATCH]), Event.type.in_(types))
        )
        for lead_id, kind, at, campaign_id, step_id, classification in rows:
            if lead_id is not None and at >= since[lead_id]:
                found.setdefault(lead_id, []).append(
                    EventView(kind, at, campaign_id, step_id, classification)
                )
    return found


def _refusal(campaign: Campaign, lead: Lead, sim: SimLead) -> str | None:
    """Why the engine would not enrol this lead (its own order of checks)."""
    if not sim.consented:
        return f"no consent for {campaign.purpose}"
    if sim.suppressed:
        return "suppressed"
    if lead.restricted_at is not None:
        return "processing restricted"
    if not matches_where(campaign.entry.where, lead_facts(lead)):
        return "entry filters (where)"
    return None


def _count(counts: dict[str, int], reason: str) -> None:
    counts[reason] = counts.get(reason, 0) + 1
