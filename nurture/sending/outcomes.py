"""Recording what happened to a send: sent, bounced, refused by policy, given up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from nurture.consent.suppression import suppress
from nurture.engine.campaign_state import pause_campaign
from nurture.leads.events import record_event
from nurture.mail.errors import HardBounce, PolicyRejection, SendError, TransientSendError
from nurture.models import CampaignState, Lead
from nurture.sending import claims

# Consecutive transport errors after which a campaign pauses itself: a broken relay or a
# block at the provider should stop the campaign, not burn through the whole list.
PAUSE_AFTER_ERRORS = 25


@dataclass(frozen=True)
class Outcome:
    # sent | retry | held | failed | unknown | suppressed | cancelled | not claimable
    status: str
    detail: str | None = None
    retry_in: timedelta | None = None
    paused: bool = False
    bounced: bool = False


@dataclass(frozen=True)
class Prepared:
    message_id: int
    campaign_id: str | None
    step_id: str | None
    lead_id: int | None
    envelope_from: str
    recipient: str
    data: bytes
    attempts: int
    tracked: bool = False
    campaign_failures: int = 0  # consecutive transport errors before this send


def record_failure(
    session: Session,
    prepared: Prepared,
    error: SendError,
    detail: str,
    suppression_key: str,
    now: datetime,
    wall_now: datetime,
) -> None:
    claims.finish(session, prepared.message_id, "failed", wall_now, error=detail[:500])
    lead = session.get(Lead, prepared.lead_id) if prepared.lead_id else None
    if isinstance(error, HardBounce) and lead is not None:
        # The address that bounced: the lead's, or the new one an address change was
        # confirming (which must not suppress the old, working address).
        suppress(session, suppression_key, prepared.recipient, "bounced", now)
        record_event(
            session,
            lead,
            "email_bounced",
            occurred_at=now,
            campaign_id=prepared.campaign_id,
            step_id=prepared.step_id,
            message_id=prepared.message_id,
            data={"response": error.response[:300]},
        )
    if prepared.campaign_id is None:
        return
    if isinstance(error, PolicyRejection):
        pause_campaign(
            session, prepared.campaign_id, f"refused by policy: {error.response}", wall_now
        )
    elif isinstance(error, TransientSendError):
        note_transport_error(session, prepared.campaign_id, wall_now)


def note_transport_error(session: Session, campaign_id: str, wall_now: datetime) -> None:
    state = session.get(CampaignState, campaign_id, with_for_update=True)
    if state is None:
        return
    state.consecutive_failures += 1
    if state.consecutive_failures >= PAUSE_AFTER_ERRORS:
        pause_campaign(
            session,
            campaign_id,
            f"{state.consecutive_failures} transport errors in a row",
            wall_now,
        )
