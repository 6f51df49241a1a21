"""Send-time checks: a withdrawal between planning and sending always wins.

The send store reads what the checks need along with the claim; the decision is pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from nurture.models import Lead, Message

# Mail a person asks for to exercise their rights: a fresh link to the preference centre
# and my-data pages. Their own unsubscription, objection or restriction must not lock
# them out of access, export, erasure, or of reversing it (GDPR art. 12(2), 18(2), 21);
# a bounce or a spam complaint still does (the mailbox cannot or does not want mail).
SELF_SERVICE_TEMPLATES = frozenset({"transactional/fresh_link", "transactional/confirm_address"})
OWN_CHOICES = frozenset({"unsubscribed", "objected"})
# Mail to the address a lead asked to move to (art. 16), not to the one it has: the
# suppression of the old address (typically a bounce, the usual reason to move) says
# nothing about the new one, which was checked when the change was asked for.
TO_NEW_ADDRESS = frozenset({"transactional/confirm_address"})


@dataclass(frozen=True)
class SendFacts:
    suppressed: str | None  # the suppression reason, if any
    consent: str | None  # consent status for the message's purpose
    tracking: str | None  # consent status for per-person tracking
    enrolment: str | None  # the enrolment's status
    campaign_failures: int  # consecutive transport errors of the campaign so far


def blocked_reason(
    row: Message, lead: Lead | None, facts: SendFacts | None, now: datetime
) -> str | None:
    """Why this message must not go out now, or None when it may (pure)."""
    if lead is None or facts is None:
        return "the lead no longer exists (erased)"
    asked = row.kind == "transactional" and row.template in SELF_SERVICE_TEMPLATES
    elsewhere = asked and row.template in TO_NEW_ADDRESS
    if facts.suppressed is not None and not (
        elsewhere or (asked and facts.suppressed in OWN_CHOICES)
    ):
        return f"address suppressed ({facts.suppressed})"
    if lead.restricted_at is not None and not asked:
        return "processing restricted by the lead (GDPR art. 18)"
    if row.kind != "marketing":
        return None
    if row.purpose is None or facts.consent != "given":
        return f"no current consent for {row.purpose!r}"
    if lead.paused_until is not None and lead.paused_until > now:
        return "the lead paused all mail"
    if facts.enrolment not in ("active", "completed"):
        return "the lead left the campaign"
    return None
