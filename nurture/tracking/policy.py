"""Which tracking a marketing mail gets, decided when it is rendered.

Per-person tracking needs the lead's `tracking` consent as it stands at render time, so
a withdrawal applies from the next mail on (and the drainer drops hits of older mails
from then on). Without it: nothing, or — with NURTURE_AGGREGATE_TRACKING — links and a
pixel that name only the campaign and step, for counts that identify nobody.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import object_session

from nurture.consent.ledger import has_consent
from nurture.models import Lead, Message
from nurture.tracking import instrument
from nurture.tracking.instrument import UNTRACKED, MailTracking
from nurture.tracking.links import TrackingLinks

PURPOSE = "tracking"


@dataclass(frozen=True)
class TrackingPolicy:
    links: TrackingLinks
    aggregate: bool = False

    def for_mail(self, row: Message, lead: Lead) -> MailTracking:
        if _allows_tracking(lead):
            return instrument.personal(self.links, row.public_id)
        if self.aggregate and row.campaign_id and row.step_id:
            return instrument.aggregate(self.links, row.campaign_id, row.step_id)
        return UNTRACKED


def _allows_tracking(lead: Lead) -> bool:
    """The sender composes inside its unit of work, with the lead loaded in it; read the
    consent there. A lead outside any session (a preview) is never tracked."""
    session = object_session(lead)
    if session is None or lead.restricted_at is not None:
        return False
    return has_consent(session, lead.id, PURPOSE)
