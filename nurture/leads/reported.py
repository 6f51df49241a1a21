"""Behaviour events reported by other systems (`POST /api/events`, `nurture events add`).

Types nurture records itself (consent, sends, opens, erasure) or derives (score, stage
and hand-off changes) are refused: the ledger, the tracker and the scorer are their
proof. The lead is named by its address or its public id; an event dated in the future
is a clock or time-zone mistake and is refused too. A reply, a call or a conversion may
name the campaign (and step) it came from: the campaign must be loaded and have that
step, so a typo never files an event under a campaign nobody can find.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nurture.campaigns.registry import CampaignSet
from nurture.clock import parse_instant
from nurture.leads.events import BadEventType, check_external_event_type, record_event
from nurture.leads.fields import FieldError, check_finite
from nurture.leads.service import find_lead
from nurture.models import Event, Lead

FUTURE_TOLERANCE = timedelta(hours=1)


class UnknownLeadError(LookupError):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


def record_reported_event(
    session: Session,
    raw: Mapping[str, Any],
    *,
    source: str,
    now: datetime,
    campaigns: CampaignSet,
) -> tuple[Lead, Event]:
    """An event another system reports: `email` (or `lead`, a public id), `type`,
    optional `occurred_at` (ISO 8601), `data` (an object), `campaign` and `step`."""
    event_type = str(raw.get("type") or "").strip()
    try:
        check_external_event_type(event_type)
    except BadEventType as error:
        raise FieldError("type", str(error)) from None
    campaign_id, step_id = attribution(campaigns, _text(raw, "campaign"), _text(raw, "step"))
    lead = _reported_lead(session, raw)
    occurred_at = _instant(raw.get("occurred_at"), now)
    data = raw.get("data") or {}
    if not isinstance(data, Mapping):
        raise FieldError("data", "must be an object")
    check_finite(data, "data")
    event = record_event(
        session,
        lead,
        event_type,
        occurred_at=occurred_at,
        source=source,
        campaign_id=campaign_id,
        step_id=step_id,
        data=dict(data),
    )
    return lead, event


def attribution(
    campaigns: CampaignSet, campaign_id: str | None, step_id: str | None
) -> tuple[str | None, str | None]:
    """(campaign, step) an event is filed under, checked against the loaded campaigns."""
    if campaign_id is None:
        if step_id is not None:
            raise FieldError("campaign", "name the campaign the step belongs to")
        return None, None
    loaded = campaigns.campaigns.get(campaign_id)
    if loaded is None:
        raise FieldError(
            "campaign", f"no campaign {campaign_id!r} is loaded (see `nurture campaigns list`)"
        )
    if step_id is not None and step_id not in loaded.campaign.step_ids:
        steps = ", ".join(loaded.campaign.step_ids)
        raise FieldError("step", f"campaign {campaign_id!r} has no step {step_id!r} ({steps})")
    return campaign_id, step_id


def _text(raw: Mapping[str, Any], name: str) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise FieldError(name, "must be text (an id)")
    return value.strip() or None


def _reported_lead(session: Session, raw: Mapping[str, Any]) -> Lead:
    public_id = str(raw.get("lead") or "").strip()
    if public_id:
        found = session.scalar(select(Lead).where(Lead.public_id == public_id))
        if found is None:
            raise UnknownLeadError("lead", "no lead with this id")
        return found
    email = str(raw.get("email") or "").strip()
    if not email:
        raise FieldError("email", "give the lead's email (or its id as `lead`)")
    lead = find_lead(session, email)
    if lead is None:
        raise UnknownLeadError("email", "no lead with this address: create it with /api/leads")
    return lead


def _instant(value: Any, now: datetime) -> datetime:
    if value in (None, ""):
        return now
    try:
        instant = parse_instant(str(value))
    except ValueError:
        raise FieldError("occurred_at", "is not an ISO 8601 date and time") from None
    return check_not_future(instant, now)


def check_not_future(instant: datetime, now: datetime) -> datetime:
    """A reported event has happened: a future date would make the engine act on it now
    (an exit) while scores and `simulate` wait for it."""
    if instant > now + FUTURE_TOLERANCE:
        raise FieldError("occurred_at", "is in the future")
    return instant
