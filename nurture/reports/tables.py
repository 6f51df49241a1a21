"""The columns the reports read, as plain Core tables.

`nurture report` takes about a second, and importing and configuring every ORM model
would add a tenth to it. `nurture.models` still defines the schema; a test checks these
columns against it. Named like the models so the queries read the same.
"""

from __future__ import annotations

from sqlalchemy import DateTime, Integer, String, column, table

events = table(
    "events",
    column("id", Integer),
    column("lead_id", Integer),
    column("type", String),
    column("occurred_at", DateTime),
    column("campaign_id", String),
    column("step_id", String),
    column("message_id", Integer),
    column("classification", String),
)
messages = table(
    "messages",
    column("id", Integer),
    column("lead_id", Integer),
    column("campaign_id", String),
    column("step_id", String),
    column("kind", String),
    column("status", String),
    column("sent_at", DateTime),
)
leads = table(
    "leads",
    column("id", Integer),
    column("source", String),
    column("temperature", String),
    column("lifecycle_stage", String),
)
Event, Message, Lead = events.c, messages.c, leads.c
