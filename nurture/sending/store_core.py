"""The portable send store: SQLAlchemy Core statements built once, bound per call."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.engine import Connection

from nurture.consent.suppression import email_hash
from nurture.models import CampaignState, ConsentState, Enrolment, Event, Lead, Message, Suppression
from nurture.sending.checks import SendFacts
from nurture.sending.store import Claimed, SentRecord, snapshot

messages = cast(Table, Message.__table__)
leads = cast(Table, Lead.__table__)
MESSAGE_COLUMNS = [column.key for column in messages.c]
LEAD_COLUMNS = [column.key for column in leads.c]

# A paused campaign holds its queued rows (they stay `queued` until it is resumed).
_PAUSED = (
    select(CampaignState.campaign_id)
    .where(CampaignState.campaign_id == messages.c.campaign_id, CampaignState.paused)
    .exists()
)

_CLAIM = (
    update(messages)
    .where(messages.c.id == bindparam("message_id"), messages.c.status == "queued")
    .where(~_PAUSED)
    .values(
        status="sending",
        claimed_at=bindparam("wall_now"),
        attempts=messages.c.attempts + 1,
        updated_at=bindparam("wall_now"),
    )
    .returning(*messages.c)
)


def _consent(purpose_param: str) -> Any:
    return (
        select(ConsentState.status)
        .where(ConsentState.lead_id == leads.c.id, ConsentState.purpose == bindparam(purpose_param))
        .scalar_subquery()
    )


_LEAD_AND_FACTS = select(
    *leads.c,
    _consent("purpose"),
    _consent("tracking_purpose"),
    select(Enrolment.status).where(Enrolment.id == bindparam("enrolment_id")).scalar_subquery(),
    select(CampaignState.consecutive_failures)
    .where(CampaignState.campaign_id == bindparam("campaign_id"))
    .scalar_subquery(),
).where(leads.c.id == bindparam("lead_id"))

_SUPPRESSION = select(Suppression.reason).where(Suppression.email_hash == bindparam("email_hash"))

_MARK_SENT = (
    update(messages)
    .where(messages.c.id == bindparam("message_id"), messages.c.status == "sending")
    .values(
        status="sent",
        sent_at=bindparam("wall_now"),
        updated_at=bindparam("wall_now"),
        smtp_response=bindparam("response"),
        tracked=bindparam("tracked"),
    )
    .returning(messages.c.lead_id, messages.c.campaign_id, messages.c.step_id)
)

_EMAIL_SENT = insert(cast(Table, Event.__table__)).values(
    lead_id=bindparam("b_lead_id"),
    type="email_sent",
    occurred_at=bindparam("b_now"),
    campaign_id=bindparam("b_campaign_id"),
    step_id=bindparam("b_step_id"),
    message_id=bindparam("b_message_id"),
    source="system",
    data={},
    created_at=bindparam("b_wall_now"),
)

RESET_FAILURES = (
    update(CampaignState)
    .where(CampaignState.campaign_id == bindparam("b_campaign_id"))
    .values(consecutive_failures=0)
)


def facts_of(found: Any, offset: int, suppressed: str | None) -> SendFacts:
    consent, tracking, enrolment, failures = found[offset : offset + 4]
    return SendFacts(suppressed, consent, tracking, enrolment, failures or 0)


class CoreSendStore:
    def open(self, connection: Connection, message_ids: Sequence[int]) -> dict[int, str]:
        return {}  # claims run in transactions of their own and look addresses up

    def claim(
        self,
        connection: Connection,
        message_ids: Sequence[int],
        *,
        after: Sequence[SentRecord],
        now: datetime,
        wall_now: datetime,
        suppression_key: str,
        addresses: Mapping[int, str],
    ) -> dict[int, Claimed]:
        with connection.begin():
            self.record_sent(connection, after, now, wall_now)
            claimed = {}
            for message_id in message_ids:
                one = self._claim(connection, message_id, wall_now, suppression_key)
                if one is not None:
                    claimed[message_id] = one
            return claimed

    def _claim(
        self, connection: Connection, message_id: int, wall_now: datetime, suppression_key: str
    ) -> Claimed | None:
        claimed = connection.execute(_CLAIM, {"message_id": message_id, "wall_now": wall_now})
        values = claimed.first()
        if values is None:
            return None
        row: Message = snapshot(Message, dict(zip(MESSAGE_COLUMNS, values, strict=True)))
        found = connection.execute(
            _LEAD_AND_FACTS,
            {
                "lead_id": row.lead_id,
                "purpose": row.purpose,
                "tracking_purpose": "tracking",
                "enrolment_id": row.enrolment_id,
                "campaign_id": row.campaign_id,
            },
        ).first()
        if found is None:
            return Claimed(row, None, None)
        lead: Lead = snapshot(Lead, dict(zip(LEAD_COLUMNS, found, strict=False)))
        digest = email_hash(suppression_key, lead.email)
        suppressed = connection.execute(_SUPPRESSION, {"email_hash": digest}).scalar()
        return Claimed(row, lead, facts_of(found, len(LEAD_COLUMNS), suppressed))

    def record_sent(
        self,
        connection: Connection,
        sent: Sequence[SentRecord],
        now: datetime,
        wall_now: datetime,
    ) -> None:
        for record in sent:
            self._record_one(connection, record, now, wall_now)

    def _record_one(
        self, connection: Connection, sent: SentRecord, now: datetime, wall_now: datetime
    ) -> None:
        marked = connection.execute(
            _MARK_SENT,
            {
                "message_id": sent.message_id,
                "wall_now": wall_now,
                "response": sent.response[:500],
                "tracked": sent.tracked,
            },
        ).first()
        if marked is None:
            return  # no longer ours (an operator changed it): record nothing
        lead_id, campaign_id, step_id = marked
        connection.execute(
            _EMAIL_SENT,
            {
                "b_lead_id": lead_id,
                "b_now": now,
                "b_campaign_id": campaign_id,
                "b_step_id": step_id,
                "b_message_id": sent.message_id,
                "b_wall_now": wall_now,
            },
        )
        if sent.reset_campaign_failures and sent.campaign_id:
            connection.execute(RESET_FAILURES, {"b_campaign_id": sent.campaign_id})
