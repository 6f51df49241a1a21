"""Capturing one lead from another system: the API and vendor emails (events: `reported`).

The same rules as the importer, for one lead at a time: clean fields (`FieldError` names
the bad one), refuse a suppressed address, merge into a known lead, and record consent
only when it comes with a proof. Under legitimate interest only a business contact (a
lead with a company) is accepted, and it gets the art. 14 notice before any campaign.
Services flush, never commit; `Captured` says what to hand on after the commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from nurture.campaigns.purposes import Purposes, wording_hash
from nurture.consent.ledger import Proof, append, current
from nurture.consent.suppression import suppression_reason
from nurture.handoff.corrections import tell_crm_of_changes
from nurture.leads.fields import FieldError, clean_lead
from nurture.leads.merge import changes
from nurture.leads.notices import NoticeDetails, queue_art14_notices
from nurture.leads.service import find_lead, merged_values, upsert_lead
from nurture.leads.vendormail import VendorLead
from nurture.models import Lead

BASES = ("consent", "legitimate_interest")
MAX_PROOF = 2_000


@dataclass(frozen=True)
class CaptureConsent:
    purpose: str
    basis: str
    proof: str


@dataclass
class Captured:
    lead: Lead
    created: bool
    consent_recorded: bool = False
    notice_ids: list[int] = field(default_factory=list)
    # `lead.updated` for the CRM working the lead: the caller enqueues them once committed.
    crm_updates: list[int] = field(default_factory=list)


def read_consent(raw: Any, purposes: Purposes | None) -> CaptureConsent | None:
    """The `consent` object of a capture, checked; None when absent."""
    if raw is None or raw == {}:
        return None
    if not isinstance(raw, Mapping):
        raise FieldError("consent", "must be an object with purpose, basis and proof")
    purpose, basis, proof = (
        str(raw.get(key) or "").strip() for key in ("purpose", "basis", "proof")
    )
    if purposes is None:
        raise FieldError("consent.purpose", "purposes.yaml is missing or invalid on this server")
    if purpose not in purposes:
        raise FieldError("consent.purpose", f"unknown purpose {purpose!r}: one of {purposes.ids}")
    if basis not in BASES:
        raise FieldError("consent.basis", f"must be one of {', '.join(BASES)}")
    if not proof:
        raise FieldError(
            "consent.proof", "consent is only recorded with a proof of how it was given"
        )
    if len(proof) > MAX_PROOF:
        raise FieldError("consent.proof", f"is longer than {MAX_PROOF} characters")
    return CaptureConsent(purpose, basis, proof)


def capture_lead(
    session: Session,
    raw: Mapping[str, Any],
    consent: CaptureConsent | None,
    *,
    purposes: Purposes | None,
    channel: str,
    default_source: str | None,
    suppression_key: str,
    now: datetime,
) -> Captured:
    """Create or merge one lead; `channel` is the ledger source (`api` or `import`)."""
    clean = clean_lead(raw)
    if suppression_reason(session, suppression_key, clean.email) is not None:
        raise FieldError("email", "this address asked not to be contacted, bounced or was erased")
    known = find_lead(session, clean.email)
    if (
        consent is not None
        and consent.basis == "legitimate_interest"
        and not (clean.fields.get("company") or (known is not None and known.company))
    ):
        raise FieldError(
            "consent.basis", "legitimate interest covers business contacts only: give a company"
        )
    changing = known is not None and bool(changes(merged_values(known), clean))
    lead, created = upsert_lead(
        session, clean, source=default_source, now=now, event_source=channel
    )
    captured = Captured(lead, created)
    if changing:
        captured.crm_updates = tell_crm_of_changes(session, [lead.id])
    if consent is not None and purposes is not None:
        _grant(session, captured, consent, purposes, channel, default_source, now)
    return captured


def _grant(
    session: Session,
    captured: Captured,
    consent: CaptureConsent,
    purposes: Purposes,
    channel: str,
    source: str | None,
    now: datetime,
) -> None:
    """A record only for a lead without a decision: a withdrawal is never overridden."""
    lead = captured.lead
    state = current(session, lead.id).get(consent.purpose)
    if state is not None and state.status != "pending":
        return
    wording = purposes.wording(consent.purpose, lead.locale)
    proof = Proof(
        source=channel,
        basis=consent.basis,
        proof=consent.proof,
        wording=wording,
        wording_hash=wording_hash(wording),
        locale=lead.locale,
    )
    append(session, lead, consent.purpose, "granted", proof, now)
    captured.consent_recorded = True
    if consent.basis == "legitimate_interest":
        details = NoticeDetails(consent.purpose, lead.source or source, consent.proof)
        captured.notice_ids = queue_art14_notices(session, [lead.id], details, now)


def capture_vendor_mail(
    session: Session,
    vendor: VendorLead,
    consent: CaptureConsent | None,
    *,
    purposes: Purposes | None,
    source: str | None,
    suppression_key: str,
    now: datetime,
) -> Captured:
    """A lead from a vendor's email; the consent proof names the mail it came in."""
    if consent is not None:
        consent = replace(consent, proof=f"{consent.proof} ({vendor.reference()})")
    return capture_lead(
        session,
        vendor.fields,
        consent,
        purposes=purposes,
        channel="import",
        default_source=source or f"email:{vendor.sender.rpartition('@')[2]}",
        suppression_key=suppression_key,
        now=now,
    )
