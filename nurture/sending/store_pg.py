"""The PostgreSQL send store: two statements per message, on the driver connection.

The SQL names its columns from the models' metadata, so it follows schema changes; the
driver (psycopg 3) returns aware datetimes and decoded JSON, and the statements are
prepared by psycopg after a few uses. It runs inside the session's transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy.engine import Connection

from nurture.consent.suppression import email_hash
from nurture.models import Lead, Message
from nurture.sending.store import Claimed, SentRecord, snapshot
from nurture.sending.store_core import LEAD_COLUMNS, MESSAGE_COLUMNS, facts_of

_M = ", ".join(f"c.{name}" for name in MESSAGE_COLUMNS)
_L = ", ".join(f"l.{name}" for name in LEAD_COLUMNS)

CLAIM = f"""
WITH c AS (
    UPDATE messages
    SET status = 'sending', claimed_at = %(wall_now)s, attempts = attempts + 1,
        updated_at = %(wall_now)s
    WHERE id = %(message_id)s AND status = 'queued'
        AND NOT EXISTS (SELECT 1 FROM campaign_states p
                        WHERE p.campaign_id = messages.campaign_id AND p.paused)
    RETURNING *
)
SELECT {_M}, {_L},
    (SELECT s.status FROM consent_states s WHERE s.lead_id = c.lead_id AND s.purpose = c.purpose),
    (SELECT s.status FROM consent_states s WHERE s.lead_id = c.lead_id AND s.purpose = 'tracking'),
    (SELECT e.status FROM enrolments e WHERE e.id = c.enrolment_id),
    (SELECT cs.consecutive_failures FROM campaign_states cs WHERE cs.campaign_id = c.campaign_id)
FROM c LEFT JOIN leads l ON l.id = c.lead_id
"""  # noqa: S608 - column names come from our own model metadata

SUPPRESSION = "SELECT reason FROM suppressions WHERE email_hash = %(email_hash)s"

MARK_SENT = """
WITH m AS (
    UPDATE messages
    SET status = 'sent', sent_at = %(wall_now)s, updated_at = %(wall_now)s,
        smtp_response = %(response)s, tracked = %(tracked)s
    WHERE id = %(message_id)s AND status = 'sending'
    RETURNING id, lead_id, campaign_id, step_id
)
INSERT INTO events (lead_id, type, occurred_at, campaign_id, step_id, message_id, source,
    data, created_at, classification)
SELECT lead_id, 'email_sent', %(now)s, campaign_id, step_id, id, 'system', '{}', %(wall_now)s, NULL
FROM m
"""

RESET_FAILURES = (
    "UPDATE campaign_states SET consecutive_failures = 0 WHERE campaign_id = %(campaign_id)s"
)


def _driver(connection: Connection) -> psycopg.Connection[Any]:
    driver = connection.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    return driver


def _model(model: type[Any], names: list[str], values: Any) -> Any:
    fields = {
        name: value.astimezone(UTC) if isinstance(value, datetime) else value
        for name, value in zip(names, values, strict=True)
    }
    return snapshot(model, fields)


class PostgresSendStore:
    def claim(
        self, connection: Connection, message_id: int, wall_now: datetime, suppression_key: str
    ) -> Claimed | None:
        driver = _driver(connection)
        found = driver.execute(CLAIM, {"message_id": message_id, "wall_now": wall_now}).fetchone()
        if found is None:
            return None
        split = len(MESSAGE_COLUMNS)
        row: Message = _model(Message, MESSAGE_COLUMNS, found[:split])
        if found[split] is None:  # LEFT JOIN found no lead
            return Claimed(row, None, None)
        lead: Lead = _model(Lead, LEAD_COLUMNS, found[split : split + len(LEAD_COLUMNS)])
        digest = email_hash(suppression_key, lead.email)
        reason = driver.execute(SUPPRESSION, {"email_hash": digest}).fetchone()
        facts = facts_of(found, split + len(LEAD_COLUMNS), reason[0] if reason else None)
        return Claimed(row, lead, facts)

    def record_sent(
        self, connection: Connection, sent: SentRecord, now: datetime, wall_now: datetime
    ) -> None:
        driver = _driver(connection)
        driver.execute(
            MARK_SENT,
            {
                "message_id": sent.message_id,
                "wall_now": wall_now,
                "response": sent.response[:500],
                "tracked": sent.tracked,
                "now": now,
            },
        )
        if sent.reset_campaign_failures and sent.campaign_id:
            driver.execute(RESET_FAILURES, {"campaign_id": sent.campaign_id})
