"""The exact message a lead would receive for one campaign step, without sending it.

The same composer and MIME builder as the sender, so what is shown is what goes out:
rendering, footer, tracking (for a real lead who allows it) and headers included. Two
things cannot be the real ones and say so: the Message-ID comes from a placeholder row
(a real send derives it from the message row, which does not exist yet), and the MIME
boundary is random on every build. For the admin page and `nurture preview`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy

from sqlalchemy.orm import Session

from nurture.campaigns.registry import CampaignSet
from nurture.consent.ledger import has_consent
from nurture.leads.service import find_lead
from nurture.mail.context import SAMPLE_LEAD
from nurture.mail.message import OutgoingMail, build_mime
from nurture.models import Lead, Message
from nurture.models.lead import IDENTITY_FIELDS
from nurture.sending.compose import Composer

SAMPLE_PUBLIC_ID = "sample-lead"


class PreviewError(LookupError):
    """Unknown campaign, step or lead; the message lists what exists."""


@dataclass(frozen=True)
class Preview:
    mail: OutgoingMail
    eml: bytes  # what the transport would be handed
    sample: bool  # True: the sample lead, not a real one

    @property
    def headers(self) -> list[tuple[str, str]]:
        """The message's headers, decoded for reading (RFC 2047 words, folding)."""
        parsed = message_from_bytes(self.eml, policy=policy.default)
        return [(name, str(value)) for name, value in parsed.items() if name != "Content-Type"]

    def readable(self) -> str:
        """Headers, a blank line, then the text part: what `nurture preview` prints."""
        head = "\n".join(f"{name}: {value}" for name, value in self.headers)
        return f"{head}\n\n{self.mail.text}"


def sample_lead() -> Lead:
    """A lead that exists nowhere: every field filled, never tracked, links sign nothing real."""
    lead = Lead(email=SAMPLE_LEAD["email"], public_id=SAMPLE_PUBLIC_ID)
    for name in IDENTITY_FIELDS:
        setattr(lead, name, SAMPLE_LEAD.get(name))
    lead.tags = list(SAMPLE_LEAD["tags"])
    lead.attributes = dict(SAMPLE_LEAD["attributes"])
    return lead


def preview_step(
    session: Session,
    composer: Composer,
    campaigns: CampaignSet,
    campaign_id: str,
    step_id: str,
    now: datetime,
    email: str | None = None,
) -> Preview:
    loaded = campaigns.campaigns.get(campaign_id)
    if loaded is None:
        known = ", ".join(sorted(campaigns.campaigns)) or "none loaded"
        raise PreviewError(f"no campaign {campaign_id!r} (campaigns: {known})")
    campaign = loaded.campaign
    step = campaign.step(step_id)
    if step is None:
        raise PreviewError(
            f"campaign {campaign_id!r} has no step {step_id!r} ({campaign.step_ids})"
        )
    lead = sample_lead() if email is None else find_lead(session, email)
    if lead is None:
        raise PreviewError(f"no lead with the address {email!r}")
    row = Message(
        public_id=f"preview.{campaign.id}.{step.id}", campaign_id=campaign.id, step_id=step.id
    )
    # A real lead's mail is tracked as it would be; the sample lead's never is.
    tracked = email is not None and has_consent(session, lead.id, "tracking")
    mail = composer.marketing(row, lead, campaign, step, now, tracking_allowed=tracked)
    return Preview(mail, build_mime(mail), sample=email is None)
