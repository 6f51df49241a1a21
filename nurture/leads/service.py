"""Creating and merging leads. Services flush, never commit: the entry point owns that."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nurture.leads.email import InvalidEmail, normalise_email
from nurture.leads.events import record_event
from nurture.leads.fields import CleanLead
from nurture.leads.merge import MERGED_COLUMNS, changes
from nurture.models import Lead


class UnknownLead(LookupError):
    pass


def find_lead(session: Session, email: str) -> Lead | None:
    try:
        normalised = normalise_email(email)
    except InvalidEmail:
        return None
    return session.scalar(select(Lead).where(Lead.email == normalised))


def get_lead(session: Session, email: str) -> Lead:
    lead = find_lead(session, email)
    if lead is None:
        raise UnknownLead(f"no lead with the address {email!r}")
    return lead


def merged_values(lead: Lead) -> dict[str, Any]:
    """The columns a merge reads and writes, as `merge.changes` takes them."""
    return {name: getattr(lead, name) for name in MERGED_COLUMNS}


def merge_into(lead: Lead, clean: CleanLead) -> bool:
    """Non-empty incoming values win; nothing is erased by a missing column. True if changed.

    The rules live in `nurture.leads.merge`, shared with the bulk importer.
    """
    changed = changes(merged_values(lead), clean)
    for name, value in changed.items():
        setattr(lead, name, value)
    return bool(changed)


def upsert_lead(
    session: Session, clean: CleanLead, *, source: str | None, now: datetime, event_source: str
) -> tuple[Lead, bool]:
    """Find by normalised email or create; returns (lead, created)."""
    lead = session.scalar(select(Lead).where(Lead.email == clean.email))
    if lead is not None:
        merge_into(lead, clean)
        return lead, False
    lead = Lead(email=clean.email, created_at=now, updated_at=now)
    merge_into(lead, clean)
    lead.source = lead.source or source
    session.add(lead)
    session.flush()
    record_event(session, lead, "lead_created", occurred_at=now, source=event_source)
    return lead, True
