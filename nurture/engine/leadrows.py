"""The few lead columns the scheduler reads, loaded as plain rows.

A pass looks at thousands of leads; full ORM objects (every column, JSON decoded,
identity map) cost more than the decisions themselves. These rows carry what `where:`
filters, the pure decision and the suppression check need, and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from nurture.campaigns.schema import Where
from nurture.db import member_of
from nurture.models import Lead

# The lead attributes `where:` can filter on are exactly the schema's keys.
WHERE_FIELDS = tuple(Where.model_fields)


class LeadRow(NamedTuple):
    id: int
    email: str
    timezone: str | None
    score: int
    temperature: str
    tags: list[str]
    paused_until: datetime | None
    restricted_at: datetime | None
    country: str | None
    locale: str | None
    source: str | None
    industry: str | None
    company_size: str | None
    lifecycle_stage: str


_COLUMNS = [getattr(Lead, name) for name in LeadRow._fields]


def load_lead_rows(session: Session, lead_ids: Iterable[int]) -> dict[int, LeadRow]:
    ids = list(lead_ids)
    if not ids:
        return {}
    rows = session.execute(select(*_COLUMNS).where(member_of(session, Lead.id, ids)))
    return {row[0]: LeadRow(*row) for row in rows}


def where_facts(lead: Any) -> dict[str, Any]:
    """The lead as `where:` filters see it (a LeadRow or a Lead)."""
    return {name: getattr(lead, name) for name in WHERE_FIELDS}
