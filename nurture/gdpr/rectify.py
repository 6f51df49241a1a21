"""Rectification (GDPR art. 16) of the profile fields a person may edit themselves.

Values are checked like any other input (`clean_lead`); an emptied field is cleared.
The email address is not here: it changes only through a double opt-in at the new
address (`nurture.prospects.address`). A CRM the lead was handed to gets the corrected
profile (art. 19: `nurture.handoff.corrections`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from nurture.audit import audit
from nurture.handoff.corrections import tell_crm_of_correction
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
    session: Session,
    lead: Lead,
    form: Mapping[str, str],
    *,
    via: str,
    now: datetime,
    notify: Callable[[Sequence[int]], None] | None = None,
) -> list[str]:
    """Apply the edited fields; raises `FieldError` naming the first bad one.

    ``notify`` gets the ids of the CRM's `lead.updated` deliveries once committed."""
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
        tell_crm_of_correction(session, lead.id, notify=notify)  # art. 19
    return changed
