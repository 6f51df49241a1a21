"""Typed SQLAlchemy 2.0 models. Import from here: every table is registered on `Base`."""

from nurture.models.activity import AuditEntry, Event
from nurture.models.base import Base, new_public_id, utcnow
from nurture.models.campaign import CampaignState, Enrolment, Message
from nurture.models.consent import ConsentRecord, ConsentState, Suppression
from nurture.models.erasure import ErasureNotice
from nurture.models.handoff import Handoff, HandoffDelivery
from nurture.models.lead import Lead
from nurture.models.prospect import AddressChange, RateLimit
from nurture.models.scoring import ScoreLedger
from nurture.models.tracking import TrackingCount, TrackingHit
from nurture.models.webhooks import WebhookCursor, WebhookDelivery, WebhookSubscription

__all__ = [
    "AddressChange",
    "AuditEntry",
    "Base",
    "CampaignState",
    "ConsentRecord",
    "ConsentState",
    "Enrolment",
    "ErasureNotice",
    "Event",
    "Handoff",
    "HandoffDelivery",
    "Lead",
    "Message",
    "RateLimit",
    "ScoreLedger",
    "Suppression",
    "TrackingCount",
    "TrackingHit",
    "WebhookCursor",
    "WebhookDelivery",
    "WebhookSubscription",
    "new_public_id",
    "utcnow",
]
