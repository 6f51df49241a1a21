"""The PostgreSQL send store: one statement per claim of a few rows, on the driver connection.

The batch's connection runs in autocommit, and each claim is a single statement whose
data-modifying parts commit together: the sends since the last claim become `sent` with
their `email_sent` events, these rows become `sending`, and their leads, facts and
suppressions come back, all read in the same snapshot as the claim. The suppression is
keyed by a hash of the lead's address, computed in Python (the key never reaches the
database): the batch reads its leads' addresses once, up front, and a claim that finds
the address changed since then looks the suppression up again.

The SQL names its columns from the models' metadata, so it follows schema changes; the
driver (psycopg 3) returns aware datetimes and decoded JSON, and the statements are
prepared by psycopg after a few uses.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy.engine import Connection

from nurture.consent.suppression import email_hash
from nurture.models import Lead, Message
from nurture.sending import claims
from nurture.sending.store import Claimed, SentRecord, snapshot
from nurture.sending.store_core import LEAD_COLUMNS, MESSAGE_COLUMNS, facts_of

_M = ", ".join(f"c.{name}" for name in MESSAGE_COLUMNS)
_ID = MESSAGE_COLUMNS.index("id")
_L = ", ".join(f"l.{name}" for name in LEAD_COLUMNS)

# Empty arrays match nothing: `sent_ids` empty (a batch's first claim), `message_ids`
# empty (the last sends of a batch, recorded alone).
# `(status = …) IS TRUE` keeps the planner on the primary key: a plain `status = 'queued'`
# let it combine the status index with it, reading every queued row's index entry for each
# claim (2.5 ms with 20,000 queued and statistics from before they were, as right after a
# campaign queues its first burst), where the rows are found by id in microseconds.
CLAIM = f"""
WITH sent AS (
    UPDATE messages m
    SET status = 'sent', sent_at = %(wall_now)s, updated_at = %(wall_now)s,
        smtp_response = s.response, tracked = s.tracked
    FROM unnest(%(sent_ids)s::bigint[], %(responses)s::text[], %(tracked)s::boolean[],
                %(resets)s::boolean[]) AS s(id, response, tracked, reset)
    WHERE m.id = s.id AND (m.status = 'sending') IS TRUE
    RETURNING m.id, m.lead_id, m.campaign_id, m.step_id, s.reset
), sent_event AS (
    INSERT INTO events (lead_id, type, occurred_at, campaign_id, step_id, message_id,
        source, data, created_at, classification)
    SELECT lead_id, 'email_sent', %(now)s, campaign_id, step_id, id, 'system', '{{}}',
        %(wall_now)s, NULL
    FROM sent
), failures_reset AS (
    UPDATE campaign_states SET consecutive_failures = 0
    WHERE campaign_id IN (SELECT campaign_id FROM sent WHERE reset)
), c AS (
    UPDATE messages
    SET status = 'sending', claimed_at = %(wall_now)s, attempts = attempts + 1,
        updated_at = %(wall_now)s
    WHERE id = ANY(%(message_ids)s::bigint[]) AND (status = 'queued') IS TRUE
        AND NOT EXISTS (SELECT 1 FROM campaign_states p
                        WHERE p.campaign_id = messages.campaign_id AND p.paused)
    RETURNING *
), w AS (
    SELECT * FROM unnest(%(message_ids)s::bigint[], %(email_hashes)s::text[])
        AS w(id, email_hash)
)
SELECT {_M}, {_L},
    (SELECT s.status FROM consent_states s WHERE s.lead_id = c.lead_id AND s.purpose = c.purpose),
    (SELECT s.status FROM consent_states s WHERE s.lead_id = c.lead_id AND s.purpose = 'tracking'),
    (SELECT e.status FROM enrolments e WHERE e.id = c.enrolment_id),
    (SELECT cs.consecutive_failures FROM campaign_states cs WHERE cs.campaign_id = c.campaign_id),
    (SELECT x.reason FROM suppressions x WHERE x.email_hash = w.email_hash)
FROM c JOIN w ON w.id = c.id LEFT JOIN leads l ON l.id = c.lead_id
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
        message_ids: Sequence[int],
        *,
        after: Sequence[SentRecord],
        now: datetime,
        wall_now: datetime,
        suppression_key: str,
        addresses: Mapping[int, str],
    ) -> dict[int, Claimed]:
        driver = _driver(connection)
        ids = list(dict.fromkeys(message_ids))  # an id listed twice is read once
        hashes = [
            email_hash(suppression_key, addresses[message_id]) if message_id in addresses else None
            for message_id in ids
        ]
        rows = driver.execute(CLAIM, _values(ids, hashes, after, now, wall_now)).fetchall()
        claimed: dict[int, Claimed] = {}
        try:
            for found in rows:
                one = self._claimed(driver, found, addresses, suppression_key)
                claimed[one.row.id] = one
        except BaseException:
            # The claims are committed and nothing was handed over: give them back (on a
            # fresh connection, this one may be what failed), else they would end
            # `unknown`. Only the rows this statement claimed: another worker's are live.
            with contextlib.suppress(Exception), connection.engine.begin() as fresh:
                claims.unclaim_all(fresh, [found[_ID] for found in rows])
            raise
        return claimed

    def _claimed(
        self,
        driver: psycopg.Connection[Any],
        found: Any,
        addresses: Mapping[int, str],
        suppression_key: str,
    ) -> Claimed:
        split = len(MESSAGE_COLUMNS)
        row: Message = _model(Message, MESSAGE_COLUMNS, found[:split])
        if found[split] is None:  # LEFT JOIN found no lead
            return Claimed(row, None, None)
        lead: Lead = _model(Lead, LEAD_COLUMNS, found[split : split + len(LEAD_COLUMNS)])
        reason = found[-1]
        if lead.email != addresses.get(row.id):  # not known up front, or changed since
            again = email_hash(suppression_key, lead.email)
            suppressed = driver.execute(SUPPRESSION, {"email_hash": again}).fetchone()
            reason = suppressed[0] if suppressed else None
        return Claimed(row, lead, facts_of(found, split + len(LEAD_COLUMNS), reason))

    def record_sent(
        self,
        connection: Connection,
        sent: Sequence[SentRecord],
        now: datetime,
        wall_now: datetime,
    ) -> None:
        # The claim's statement, claiming nothing.
        _driver(connection).execute(CLAIM, _values([], [], sent, now, wall_now))


def _values(
    message_ids: Sequence[int],
    email_hashes: list[str | None],
    sent: Sequence[SentRecord],
    now: datetime,
    wall_now: datetime,
) -> dict[str, Any]:
    return {
        "message_ids": list(message_ids),
        "email_hashes": email_hashes,
        "wall_now": wall_now,
        "now": now,
        "sent_ids": [record.message_id for record in sent],
        "responses": [record.response[:500] for record in sent],
        "tracked": [record.tracked for record in sent],
        "resets": [record.reset_campaign_failures for record in sent],
    }
