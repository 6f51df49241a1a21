"""The preference centre's changes: purposes, tracking, language, pause, art. 18 and 21.

Each purpose switched on or off is one ledger entry with source `link` (the signed link
proves control of the mailbox, so a grant here needs no second opt-in). Switching a
purpose on is also how a person reverses their own objection to direct marketing: the
`objected` (or `unsubscribed`) suppression is lifted. Bounces, complaints and erasures
are not theirs to lift here. An objection to profiling zeroes the score and deletes the
score ledger in the same transaction; withdrawing it lets the next scheduler pass score
the lead again (its ledger is missing, so the refresh picks it up). Either that
objection or a restriction (art. 18) also withdraws the lead's open hand-off to sales
(`nurture.handoff.withdraw`); lifting it lets a later score update hand the lead over
again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from nurture.audit import audit
from nurture.campaigns.purposes import wording_hash
from nurture.consent.ledger import append, current
from nurture.consent.suppression import lift, suppression_reason
from nurture.handoff.withdraw import PROFILING_OBJECTED, RESTRICTED, withdraw_lead
from nurture.leads.events import record_event
from nurture.models import Lead
from nurture.prospects.consent import one_at_a_time
from nurture.prospects.setup import Origin, ProspectSetup
from nurture.scoring.service import clear_profile

PAUSE_WEEKS = (1, 2, 4, 8, 12)
LIFTABLE_BY_SUBJECT = ("objected", "unsubscribed")


@dataclass(frozen=True)
class Choices:
    purposes: frozenset[str]
    locale: str
    pause_weeks: int | None  # None: keep the current pause; 0: no pause
    restricted: bool
    profiling_objected: bool


def apply_choices(
    session: Session, setup: ProspectSetup, lead: Lead, choices: Choices, origin: Origin
) -> list[str]:
    """Apply what changed; returns the names of the changed settings."""
    one_at_a_time(session, lead)
    changed = _purposes(session, setup, lead, choices, origin)
    now = setup.now()
    if lead.locale != choices.locale:
        lead.locale = choices.locale
        changed.append("locale")
    if choices.pause_weeks is not None:
        until = now + timedelta(weeks=choices.pause_weeks) if choices.pause_weeks else None
        if until != lead.paused_until:
            lead.paused_until = until
            changed.append("pause")
    if choices.restricted != (lead.restricted_at is not None):
        lead.restricted_at = now if choices.restricted else None
        if choices.restricted:
            _take_back_from_sales(session, setup, lead, RESTRICTED)
        # On the timeline, and for the webhook receivers holding the lead (art. 19).
        kind = "processing_restricted" if choices.restricted else "restriction_lifted"
        record_event(session, lead, kind, occurred_at=now, source="link")
        changed.append("restriction")
    profiling_objected = choices.profiling_objected or _objects_to_marketing(session, setup, lead)
    if profiling_objected != lead.profiling_objected:
        lead.profiling_objected = profiling_objected
        if lead.profiling_objected:
            clear_profile(session, lead.id)
            _take_back_from_sales(session, setup, lead, PROFILING_OBJECTED)
        changed.append("profiling")
    if changed:
        audit(session, "subject", "preferences_changed", settings=sorted(set(changed)))
    return changed


def _objects_to_marketing(session: Session, setup: ProspectSetup, lead: Lead) -> bool:
    """An objection to direct marketing (art. 21(3)) covers the profiling done for it: while
    it stands (no topic switched back on, which lifts it) the profiling box stays ticked."""
    return suppression_reason(session, setup.suppression_key, lead.email) == "objected"


def _take_back_from_sales(session: Session, setup: ProspectSetup, lead: Lead, reason: str) -> None:
    withdraw_lead(session, lead.id, reason, setup.now(), notify=setup.enqueue_deliveries)


def _purposes(
    session: Session, setup: ProspectSetup, lead: Lead, choices: Choices, origin: Origin
) -> list[str]:
    states = current(session, lead.id)
    changed: list[str] = []
    for purpose in setup.purposes.ids:
        given = purpose in states and states[purpose].status == "given"
        wanted = purpose in choices.purposes
        if wanted and not given:
            wording = setup.purposes.wording(purpose, choices.locale)
            proof = setup.proof(
                "link",
                origin,
                proof="preference centre",
                wording=wording,
                wording_hash=wording_hash(wording),
                locale=choices.locale,
            )
            append(session, lead, purpose, "granted", proof, setup.now())
            changed.append(purpose)
        elif given and not wanted:
            proof = setup.proof("link", origin, proof="preference centre")
            append(session, lead, purpose, "withdrawn", proof, setup.now())
            changed.append(purpose)
    if any(purpose in choices.purposes for purpose in changed):
        _lift_own_objection(session, setup, lead)
    return changed


def _lift_own_objection(session: Session, setup: ProspectSetup, lead: Lead) -> None:
    reason = suppression_reason(session, setup.suppression_key, lead.email)
    if reason in LIFTABLE_BY_SUBJECT and lift(session, setup.suppression_key, lead.email):
        audit(session, "subject", "objection_withdrawn", reason=reason)
