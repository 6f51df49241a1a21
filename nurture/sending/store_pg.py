"""The PostgreSQL send store: one statement per message, on the driver connection.

The batch's connection runs in autocommit, and each claim is a single statement whose
data-modifying parts commit together: the previous send becomes `sent` with its
`email_sent` event, this row becomes `sending`, and the lead, the facts and the
suppression come back, all read in the same snapshot as the claim. The suppression is
keyed by a hash of the lead's address, computed in Python (the key never reaches the
database): the batch reads its leads' addresses once, up front, and a claim that finds
the address changed since then looks the suppression up again.

The SQL names its columns from the models' metadata, so it follows schema changes; the
driver (psycopg 3) returns aware datetimes and decoded JSON, and the statements are
prepared by psycopg after a few uses.
"""

from __future__ import annotations

from collections.abc import Sequence
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

# `sent_id` NULL (the batch's first claim), `message_id` NULL (the last send of a batch,
# recorded alone) or `reset_campaign_id` NULL match nothing.
CLAIM = f"""
WITH sent AS (
    UPDATE messages
    SET status = 'sent', sent_at = %(wall_now)s, updated_at = %(wall_now)s,
        smtp_response = %(response)s, tracked = %(tracked)s
    WHERE id = %(sent_id)s AND status = 'sending'
    RETURNING id, lead_id, campaign_id, step_id
), sent_event AS (
    INSERT INTO events (lead_id, type, occurred_at, campaign_id, step_id, message_id,
        source, data, created_at, classification)
    SELECT lead_id, 'email_sent', %(now)s, campaign_id, step_id, id, 'system', '{{}}',
        %(wall_now)s, NULL
    FROM sent
), failures_reset AS (
    UPDATE campaign_states SET consecutive_failures = 0
    WHERE campaign_id = %(reset_campaign_id)s AND EXISTS (SELECT 1 FROM sent)
), c AS (
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
    (SELECT cs.consecutive_failures FROM campaign_states cs WHERE cs.campaign_id = c.campaign_id),
    (SELECT x.reason FROM suppressions x WHERE x.email_hash = %(email_hash)s)
FROM c LEFT JOIN leads l ON l.id = c.lead_id
"""  # noqa: S608 - column names come from our own model metadata

ADDRESSES = """
SELECT m.id, l.email FROM messages m JOIN leads l ON l.id = m.lead_id
WHERE m.id = ANY(%(message_ids)s)
"""

SUPPRESSION = "SELECT reason FROM suppressions WHERE email_hash = %(email_hash)s"


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
    def open(self, connection: Connection, message_ids: Sequence[int]) -> dict[int, str]:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        found = _driver(connection).execute(ADDRESSES, {"message_ids": list(message_ids)})
        return dict(found.fetchall())

    def claim(
        self,
        connection: Connection,
        message_id: int,
        *,
        after: SentRecord | None,
        now: datetime,
        wall_now: datetime,
        suppression_key: str,
        address: str | None = None,
    ) -> Claimed | None:
        driver = _driver(connection)
        digest = email_hash(suppression_key, address) if address is not None else None
        values = _values(message_id, after, now, wall_now, digest)
        found = driver.execute(CLAIM, values).fetchone()
        if found is None:
            return None
        split = len(MESSAGE_COLUMNS)
        row: Message = _model(Message, MESSAGE_COLUMNS, found[:split])
        if found[split] is None:  # LEFT JOIN found no lead
            return Claimed(row, None, None)
        lead: Lead = _model(Lead, LEAD_COLUMNS, found[split : split + len(LEAD_COLUMNS)])
        reason = found[-1]
        if lead.email != address:  # not known up front, or changed since: look it up
            again = email_hash(suppression_key, lead.email)
            suppressed = driver.execute(SUPPRESSION, {"email_hash": again}).fetchone()
            reason = suppressed[0] if suppressed else None
        facts = facts_of(found, split + len(LEAD_COLUMNS), reason)
        return Claimed(row, lead, facts)

    def record_sent(
        self, connection: Connection, sent: SentRecord, now: datetime, wall_now: datetime
    ) -> None:
        # The claim's statement, claiming nothing.
        _driver(connection).execute(CLAIM, _values(None, sent, now, wall_now, None))


def _values(
    message_id: int | None,
    after: SentRecord | None,
    now: datetime,
    wall_now: datetime,
    email_hash: str | None,
) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "wall_now": wall_now,
        "now": now,
        "email_hash": email_hash,
        "sent_id": after.message_id if after else None,
        "response": after.response[:500] if after else None,
        "tracked": after.tracked if after else None,
        "reset_campaign_id": after.campaign_id if after and after.reset_campaign_failures else None,
    }
