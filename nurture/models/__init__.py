"""Typed SQLAlchemy 2.0 models. Import from here: every table is registered on `Base`."""

from nurture.models.activity import AuditEntry, Event
from nurture.models.base import Base, new_public_id, utcnow
from nurture.models.campaign import CampaignState, Enrolment, Message
from nurture.models.consent import ConsentRecord, ConsentState, Suppression
from nurture.models.lead import Lead

__all__ = [
    "AuditEntry",
    "Base",
    "CampaignState",
    "ConsentRecord",
    "ConsentState",
    "Enrolment",
    "Event",
    "Lead",
    "Message",
    "Suppression",
    "new_public_id",
    "utcnow",
]
