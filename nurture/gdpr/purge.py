"""The retention policy, one data category at a time (`nurture gdpr purge`).

- unconfirmed sign-ups: leads created by `/subscribe` whose consents are all still
  pending when the confirmation link has expired (`NURTURE_CONFIRM_DAYS`) are deleted;
- tracking events (opens and clicks) older than `NURTURE_RETAIN_TRACKING_DAYS` lose
  their link to the lead and their details: counts survive, identity does not;
- inactive leads, with no event of their own for `NURTURE_RETAIN_INACTIVE_DAYS`, are
  deleted like an erasure, but without a suppression entry (the person did not ask to be
  forgotten; an objection already on the suppression list stays there). "Their own"
  leaves out nurture's bookkeeping: our sends and the bounces they caused, and the
  events derived from scores and hand-offs (`DERIVED_EVENT_TYPES`: `became_*`,
  `disqualified`, `handoff_*`, `sales_*`), which a nightly score refresh records for
  leads who did nothing; and opens and clicks by mail proxies and link scanners, unless
  `NURTURE_COUNT_MACHINE_ENGAGEMENT` counts them as engagement everywhere;
- expired rate-limit counters are deleted, and so are address changes never confirmed
  once their link has expired (`NURTURE_CONFIRM_DAYS`): the address, perhaps someone
  else's, was only ever kept to be confirmed.

Every deleted lead's data recipients are told, as after an erasure (art. 19).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.orm import Session

from nurture.db import member_of
from nurture.gdpr.erase import erase_lead
from nurture.models import (
    AddressChange,
    ConsentRecord,
    Event,
    Lead,
    Message,
    WebhookDelivery,
)
from nurture.prospects.mailing import CONFIRM_ADDRESS
from nurture.prospects.ratelimit import purge_expired
from nurture.prospects.signup import awaiting_confirmation
from nurture.scoring.transitions import DERIVED_EVENT_TYPES
from nurture.scoring.views import HUMAN

TRACKING_EVENTS = ("email_opened", "email_clicked")
PEOPLE = [kind for kind in HUMAN if kind is not None]  # classifications that are a person
NOT_THE_PERSONS_OWN = ("email_sent", "email_bounced", *sorted(DERIVED_EVENT_TYPES))


@dataclass(frozen=True)
class Retention:
    unconfirmed: timedelta
    tracking: timedelta
    inactive: timedelta
    count_machines: bool = False  # proxy and scanner opens/clicks as the person's activity


def unconfirmed_leads(session: Session, cutoff: datetime) -> list[int]:
    newest = (
        select(func.max(ConsentRecord.created_at))
        .where(ConsentRecord.lead_id == Lead.id)
        .scalar_subquery()
    )
    query = select(Lead.id).where(awaiting_confirmation(), newest < cutoff)
    return list(session.scalars(query))


def _stop_deliveries(session: Session, lead_ids: list[int], now: datetime) -> None:
    """The webhook deliveries of sign-ups never confirmed: they waited for a confirmation
    (`webhooks.deliver`) that will not come, and must not go out once the lead is gone."""
    if not lead_ids:
        return
    session.execute(
        update(WebhookDelivery)
        .where(member_of(session, WebhookDelivery.lead_id, lead_ids))
        .where(WebhookDelivery.status == "pending")
        .values(
            status="failed",
            next_attempt_at=None,
            last_error="the sign-up was never confirmed: not sent",
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )


def _forget_address_changes(session: Session, cutoff: datetime) -> None:
    """Address changes asked for before `cutoff` and never confirmed, and the new address
    in their confirmation mails' rows (`context.to`)."""
    session.execute(delete(AddressChange).where(AddressChange.requested_at < cutoff))
    session.execute(
        update(Message)
        .where(Message.template == CONFIRM_ADDRESS, Message.created_at < cutoff)
        .values(context={})
        .execution_options(synchronize_session=False)
    )


def inactive_leads(session: Session, cutoff: datetime, count_machines: bool = False) -> list[int]:
    own = [
        Event.lead_id == Lead.id,
        Event.occurred_at >= cutoff,
        Event.type.not_in(NOT_THE_PERSONS_OWN),
    ]
    if not count_machines:
        own.append(or_(Event.classification.is_(None), Event.classification.in_(PEOPLE)))
    recent = exists().where(*own)
    return list(session.scalars(select(Lead.id).where(Lead.created_at < cutoff, ~recent)))


def old_tracking_events(session: Session, cutoff: datetime) -> int:
    query = select(func.count(Event.id)).where(
        Event.type.in_(TRACKING_EVENTS), Event.lead_id.is_not(None), Event.occurred_at < cutoff
    )
    return int(session.scalar(query) or 0)


def purge(
    session: Session,
    retention: Retention,
    suppression_key: str,
    now: datetime,
    *,
    dry_run: bool,
    notify: Callable[[Sequence[int]], None] | None = None,
) -> dict[str, int]:
    """Counts per category; with ``dry_run`` nothing is changed. A deleted lead's data
    recipients are told like after an erasure (``notify``: see `erase_lead`)."""
    unconfirmed = unconfirmed_leads(session, now - retention.unconfirmed)
    cutoff = now - retention.inactive
    inactive = [
        i for i in inactive_leads(session, cutoff, retention.count_machines) if i not in unconfirmed
    ]
    expired = now - retention.unconfirmed
    report = {
        "unconfirmed_signups": len(unconfirmed),
        "tracking_events": old_tracking_events(session, now - retention.tracking),
        "inactive_leads": len(inactive),
        "expired_address_changes": session.scalar(
            select(func.count())
            .select_from(AddressChange)
            .where(AddressChange.requested_at < expired)
        )
        or 0,
    }
    if dry_run:
        return report
    _forget_address_changes(session, expired)
    session.execute(
        update(Event)
        .where(Event.type.in_(TRACKING_EVENTS), Event.occurred_at < now - retention.tracking)
        .values(lead_id=None, data={})
        .execution_options(synchronize_session=False)
    )
    _stop_deliveries(session, unconfirmed, now)
    for lead_id in unconfirmed + inactive:
        lead = session.get(Lead, lead_id)
        if lead is not None:
            erase_lead(
                session,
                lead,
                suppression_key,
                now,
                actor="retention",
                via="purge",
                keep_suppression=False,
                notify=notify,
            )
    report["rate_limit_counters"] = purge_expired(session, now)
    return report
