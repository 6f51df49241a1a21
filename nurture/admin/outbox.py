"""The outbox page: messages that ended `failed` or `unknown`, with why and for whom.

Resending is `nurture.sending.resend.resend` (what `nurture messages resend` calls).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nurture.models import Lead, Message
from nurture.sending.resend import RESENDABLE

SHOWN = 200


@dataclass(frozen=True)
class OutboxRow:
    id: str  # the message's public id
    status: str  # failed | unknown
    kind: str
    campaign: str | None
    step: str | None
    template: str | None
    email: str | None  # None once the lead is erased
    lead: str | None  # the lead's public id
    attempts: int
    error: str | None
    updated_at: datetime


@dataclass(frozen=True)
class Outbox:
    rows: list[OutboxRow]
    counts: dict[str, int]  # per status, all of them (the page shows the newest)


def outbox(session: Session, limit: int = SHOWN) -> Outbox:
    rows = session.execute(
        select(Message, Lead.email, Lead.public_id)
        .outerjoin(Lead, Lead.id == Message.lead_id)
        .where(Message.status.in_(RESENDABLE))
        .order_by(Message.updated_at.desc(), Message.id.desc())
        .limit(limit)
    ).all()
    counts = session.execute(
        select(Message.status, func.count())
        .where(Message.status.in_(RESENDABLE))
        .group_by(Message.status)
    ).all()
    return Outbox(
        rows=[
            OutboxRow(
                id=m.public_id,
                status=m.status,
                kind=m.kind,
                campaign=m.campaign_id,
                step=m.step_id,
                template=m.template,
                email=email,
                lead=lead_id,
                attempts=m.attempts,
                error=m.last_error or m.smtp_response,
                updated_at=m.updated_at,
            )
            for m, email, lead_id in rows
        ],
        counts={status: 0 for status in RESENDABLE} | {status: n for status, n in counts},
    )
