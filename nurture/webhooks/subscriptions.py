"""Managing webhook subscriptions (`nurture webhooks add|list|remove|rotate`).

Why a table and not a YAML file next to the campaigns: each subscription has a signing
secret that must not sit in a versioned file, the delivery log points at subscriptions,
and URLs of other systems change without a deploy; the dashboard can manage the same
rows later. URLs must be https, except on the local machine (a receiver in development).
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from nurture.models import Event, WebhookSubscription
from nurture.webhooks.events import check_events

_LOCAL = frozenset({"localhost", "127.0.0.1", "::1"})


class SubscriptionError(ValueError):
    pass


def check_url(url: str) -> str:
    text = url.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (raises for a port that is not a number from 0 to 65535)
    except ValueError as error:
        raise SubscriptionError(f"{url!r} is not a valid URL: {error}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SubscriptionError(f"{url!r} is not an http(s) URL")
    if any(ch.isspace() or ord(ch) < 0x21 for ch in text):
        raise SubscriptionError(f"{url!r} holds spaces or control characters: encode them")
    if parts.scheme == "http" and parts.hostname not in _LOCAL:
        raise SubscriptionError("use https:// (plain http only for a receiver on this machine)")
    if parts.username or parts.password:
        raise SubscriptionError("put no credentials in the URL: receivers check the signature")
    return text


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def add(
    session: Session, url: str, events: list[str], description: str | None
) -> WebhookSubscription:
    try:
        types = check_events(events)
    except ValueError as error:
        raise SubscriptionError(str(error)) from None
    newest = session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1)) or 0
    row = WebhookSubscription(
        url=check_url(url),
        events=types,
        secret=new_secret(),
        description=description,
        after_event_id=newest,
    )
    session.add(row)
    session.flush()
    return row


def find(session: Session, public_id: str) -> WebhookSubscription:
    row = session.scalar(
        select(WebhookSubscription).where(WebhookSubscription.public_id == public_id)
    )
    if row is None:
        raise SubscriptionError(
            f"no webhook subscription {public_id!r} (see `nurture webhooks list`)"
        )
    return row


def listing(session: Session) -> list[WebhookSubscription]:
    return list(session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)))


def rotate(session: Session, public_id: str) -> str:
    row = find(session, public_id)
    row.secret = new_secret()
    return row.secret


def remove(session: Session, public_id: str) -> WebhookSubscription:
    """Stop deliveries to it; the subscription and its log stay for the record."""
    row = find(session, public_id)
    row.active = False
    return row
