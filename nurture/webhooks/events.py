"""Webhook event types, and the behaviour events each is made of (pure)."""

from __future__ import annotations

# Webhook type → the `events.type` values that trigger it. A hand-off starts pooled or
# assigned straight to a rep; the payload's `data.type` says which.
WEBHOOK_EVENTS: dict[str, tuple[str, ...]] = {
    "lead_created": ("lead_created",),
    "consent_changed": ("consent_granted", "consent_confirmed", "consent_withdrawn"),
    "unsubscribed": ("unsubscribed",),
    "became_mql": ("became_mql",),
    "handed_off": ("handoff_pooled", "handoff_assigned"),
    "converted": ("converted",),
    "lead_corrected": ("data_rectified",),
    "lead_restricted": ("processing_restricted", "restriction_lifted"),
}
# GDPR art. 19: a receiver that holds the lead's data (a delivery about the lead was
# attempted to it) is told of a correction or a restriction whether or not it subscribed.
OWED_TO_HOLDERS = frozenset({"lead_corrected", "lead_restricted"})
SOURCE_TYPES: dict[str, str] = {
    source: webhook for webhook, sources in WEBHOOK_EVENTS.items() for source in sources
}


class UnknownWebhookEvent(ValueError):
    pass


def check_events(names: list[str]) -> list[str]:
    """Deduplicated webhook types, in the order given; refuses unknown ones."""
    unknown = [name for name in names if name not in WEBHOOK_EVENTS]
    if unknown or not names:
        allowed = ", ".join(WEBHOOK_EVENTS)
        what = f"unknown event type {unknown[0]!r}" if unknown else "no event type given"
        raise UnknownWebhookEvent(f"{what}: choose from {allowed}")
    return list(dict.fromkeys(names))
