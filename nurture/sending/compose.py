"""Turning a message row into the exact email a lead receives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from functools import lru_cache

from nurture.campaigns.schema import Campaign, Step
from nurture.links import Links
from nurture.mail.context import template_context
from nurture.mail.message import OutgoingMail, domain_of
from nurture.mail.render import Renderer
from nurture.models import Lead, Message
from nurture.tracking.instrument import UNTRACKED
from nurture.tracking.policy import TrackingPolicy


class MissingPostalAddress(RuntimeError):
    def __init__(self) -> None:
        super().__init__(
            "NURTURE_POSTAL_ADDRESS is not set: every marketing email must carry the "
            "sender's postal address (CAN-SPAM); set it and the queued mail goes out"
        )


@dataclass(frozen=True)
class Composer:
    renderer: Renderer
    links: Links
    postal_address: str | None
    tracking: TrackingPolicy | None = None  # None: no mail is tracked

    def tracks(self, tracking_allowed: bool) -> bool:
        """Whether a mail composed with this consent carries per-person tracking."""
        return self.tracking is not None and tracking_allowed

    def marketing(
        self,
        row: Message,
        lead: Lead,
        campaign: Campaign,
        step: Step,
        now: datetime,
        *,
        tracking_allowed: bool = False,
    ) -> OutgoingMail:
        """The step's mail for this lead; `tracking_allowed` is the lead's current
        `tracking` consent (the caller has it from its send-time checks)."""
        if not self.postal_address:
            raise MissingPostalAddress()
        unsubscribe = self.links.unsubscribe(lead.public_id, campaign.purpose, campaign.id)
        context = template_context(
            lead.field_values(),
            campaign,
            step,
            unsubscribe_url=unsubscribe,
            preferences_url=self.links.preferences(lead.public_id),
            postal_address=self.postal_address,
        )
        tracking = (
            self.tracking.for_mail(row, lead, tracking_allowed) if self.tracking else UNTRACKED
        )
        rendered = self.renderer.render(
            step.subject, step.template, context, link_rewriter=tracking.rewrite_link
        )
        return OutgoingMail(
            sender=campaign.sender,
            to=lead.email,
            subject=rendered.subject,
            html=tracking.finish(rendered.html),
            text=rendered.text,
            message_id=message_id_for(row, campaign.sender),
            date=now,
            reply_to=campaign.reply_to,
            list_unsubscribe=unsubscribe,
        )


def message_id_for(row: Message, sender: str) -> str:
    """Stable across retries: derived from the row, never from the serial id."""
    return f"<{row.public_id}@{_domain(sender)}>"


def envelope_sender(mail: OutgoingMail) -> str:
    return _address(mail.sender)


# A handful of sender strings, parsed for every message: parse each once.
@lru_cache(maxsize=256)
def _address(sender: str) -> str:
    return parseaddr(sender)[1]


@lru_cache(maxsize=256)
def _domain(sender: str) -> str:
    return domain_of(_address(sender))
