"""Which tracking a marketing mail gets, decided when it is rendered.

Per-person tracking needs the lead's `tracking` consent as it stands at render time, so
a withdrawal applies from the next mail on (and the drainer drops hits of older mails
from then on). Without it: nothing, or — with NURTURE_AGGREGATE_TRACKING — links and a
pixel that name only the campaign and step, for counts that identify nobody.
"""

from __future__ import annotations

from dataclasses import dataclass

from nurture.models import Lead, Message
from nurture.tracking import instrument
from nurture.tracking.instrument import UNTRACKED, MailTracking
from nurture.tracking.links import TrackingLinks

PURPOSE = "tracking"


@dataclass(frozen=True)
class TrackingPolicy:
    links: TrackingLinks
    aggregate: bool = False

    def for_mail(self, row: Message, lead: Lead, allowed: bool) -> MailTracking:
        """`allowed`: the lead's `tracking` consent, read by the caller at render time."""
        if allowed and lead.restricted_at is None:
            return instrument.personal(self.links, row.public_id)
        if self.aggregate and row.campaign_id and row.step_id:
            return instrument.aggregate(self.links, row.campaign_id, row.step_id)
        return UNTRACKED
