"""The work behind `nurture leads import-email`: one vendor mail, one lead."""

from __future__ import annotations

from nurture.cli.common import UserError
from nurture.cli.dispatch import rescore, send_mail
from nurture.db import after_commit, unit_of_work
from nurture.leads.capture import CaptureConsent, capture_vendor_mail
from nurture.leads.fields import FieldError
from nurture.leads.importer import ImportConsent
from nurture.leads.vendormail import VendorMailError, parse_vendor_mail
from nurture.runtime import Runtime

# A lead mail is a few kilobytes; anything far larger is not one (or is an attachment).
MAX_MAIL = 5 * 1024 * 1024


def mail_import(rt: Runtime, data: bytes, consent: ImportConsent | None, source: str | None) -> str:
    """Parse, capture and commit; returns the line to print. Bad mails are UserErrors."""
    try:
        vendor = parse_vendor_mail(data)
    except VendorMailError as error:
        raise UserError(f"not a lead mail: {error}") from None
    wanted = CaptureConsent(consent.purpose, consent.basis, consent.proof) if consent else None
    with unit_of_work(rt.sessions) as session:
        try:
            captured = capture_vendor_mail(
                session,
                vendor,
                wanted,
                purposes=rt.campaigns().purposes,
                source=source,
                suppression_key=rt.settings.suppression_key,
                now=rt.clock.now(),
            )
        except FieldError as error:
            raise UserError(
                f"the lead in the mail from {vendor.sender} is refused: {error}"
            ) from None
        lead_id, notices, updates = captured.lead.id, captured.notice_ids, captured.crm_updates
        after_commit(session, lambda: send_mail(rt, notices))
        if updates:
            after_commit(session, lambda: rt.actors.enqueue_deliveries(updates))
    rescore(rt, [lead_id])
    verb = "created lead" if captured.created else "merged into lead"
    line = f"{verb} {captured.lead.public_id} from {vendor.sender}"
    if captured.consent_recorded:
        line += f"; consent for {consent.purpose if consent else ''} recorded"
    if notices:
        line += "; art. 14 notice queued"
    return line
