"""What the prospect-side services need from the composition root, in one value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from nurture.campaigns.purposes import Purposes
from nurture.clock import Clock
from nurture.consent.ledger import Proof
from nurture.prospects.mailing import Enqueue


@dataclass(frozen=True)
class Origin:
    """Where a request came from; kept in the ledger only when the operator chose to."""

    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class ProspectSetup:
    suppression_key: str
    purposes: Purposes
    enqueue: Enqueue
    clock: Clock  # the schedule's clock: ledger and event times
    wall_clock: Clock  # operational time: rate limits, enqueue stamps
    store_consent_ip: bool = True
    subscribe_per_ip_hour: int = 10
    confirm_mails_per_hour: int = 1
    # Hand-off webhooks a request owes the CRM (a withdrawal, a correction); unset, the
    # next scheduler pass finds them.
    enqueue_deliveries: Enqueue | None = None

    def now(self) -> datetime:
        return self.clock.now()

    def wall_now(self) -> datetime:
        return self.wall_clock.now()

    def proof(
        self,
        source: str,
        origin: Origin,
        *,
        proof: str,
        wording: str | None = None,
        wording_hash: str | None = None,
        locale: str | None = None,
    ) -> Proof:
        if not self.store_consent_ip:
            origin = Origin()
        return Proof(
            source=source,
            wording=wording,
            wording_hash=wording_hash,
            locale=locale,
            proof=proof,
            ip=origin.ip,
            user_agent=origin.user_agent[:500] if origin.user_agent else None,
        )
