"""Rectification (GDPR art. 16) of the profile fields a person may edit themselves.

Values are checked like any other input (`clean_lead`); an emptied field is cleared.
The email address is not here: it changes only through a double opt-in at the new
address (`nurture.prospects.address`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from nurture.audit import audit
from nurture.leads.events import record_event
from nurture.leads.fields import clean_lead
from nurture.models import Lead

EDITABLE = (
    "first_name",
    "last_name",
    "phone",
    "company",
    "job_title",
    "industry",
    "company_size",
    "website",
    "country",
    "timezone",
)


def rectify(
    session: Session, lead: Lead, form: Mapping[str, str], *, via: str, now: datetime
) -> list[str]:
    """Apply the edited fields; raises `FieldError` naming the first bad one."""
    raw = {name: (form.get(name) or "").strip() or None for name in EDITABLE}
    clean = clean_lead({"email": lead.email, **raw})
    changed = []
    for name in EDITABLE:
        value = clean.fields.get(name)
        if getattr(lead, name) != value:
            setattr(lead, name, value)
            changed.append(name)
    if changed:
        record_event(
            session, lead, "data_rectified", occurred_at=now, source=via, data={"fields": changed}
        )
        audit(session, "subject" if via == "link" else "operator", "data_rectified", fields=changed)
    return changed
