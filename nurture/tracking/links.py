"""The pixel and click URLs in tracked mail, and what their signed payloads mean.

Payloads are short lists (the URL must survive mail clients that wrap long lines):

=========================  ==========================================================
open  ``["m", MSG]``        per-person: the message's public id (never the lead's)
open  ``["a", CAMP, STEP]`` aggregate: campaign and step only, no person, no message
click ``["m", MSG, URL]``   per-person click on the exact target URL
click ``["h", MSG]``        the hidden honeypot link: only machines follow it
click ``["a", CAMP, STEP, URL]``  aggregate click
=========================  ==========================================================

The click token signs the exact target, so the redirect can go nowhere else: a changed
URL breaks the signature. `safe_target` is checked both when signing and when
redirecting, so a URL that is not plain absolute http(s) is never a redirect target.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from nurture.consent.tokens import Tokens

_MAX_URL = 2000  # browsers and mail clients truncate or refuse much longer URLs


class BadPayload(ValueError):
    """A validly signed token whose payload is not one we mint (an older format)."""


@dataclass(frozen=True)
class MessageRef:
    message: str  # Message.public_id


@dataclass(frozen=True)
class AggregateRef:
    campaign_id: str
    step_id: str


Ref = MessageRef | AggregateRef


@dataclass(frozen=True)
class ClickTarget:
    ref: Ref
    url: str | None  # None: the honeypot

    @property
    def honeypot(self) -> bool:
        return self.url is None


def safe_target(url: str) -> bool:
    """Absolute http(s) with a host, printable ASCII only: nothing a browser or a header
    could reinterpret (``//host``, ``javascript:``, ``data:``, backslashes, CR/LF)."""
    if not url or len(url) > _MAX_URL or not url.isascii() or not url.isprintable():
        return False
    if any(char in url for char in ' \\"<>'):
        return False
    parts = urlsplit(url)
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


def ref_payload(ref: Ref) -> list[Any]:
    if isinstance(ref, MessageRef):
        return ["m", ref.message]
    return ["a", ref.campaign_id, ref.step_id]


def parse_open(payload: Any) -> Ref:
    match payload:
        case ["m", str(message)]:
            return MessageRef(message)
        case ["a", str(campaign), str(step)]:
            return AggregateRef(campaign, step)
    raise BadPayload("not an open payload")


def parse_click(payload: Any) -> ClickTarget:
    match payload:
        case ["m", str(message), str(url)] if safe_target(url):
            return ClickTarget(MessageRef(message), url)
        case ["h", str(message)]:
            return ClickTarget(MessageRef(message), None)
        case ["a", str(campaign), str(step), str(url)] if safe_target(url):
            return ClickTarget(AggregateRef(campaign, step), url)
    raise BadPayload("not a click payload")


@dataclass(frozen=True)
class TrackingLinks:
    base_url: str
    tokens: Tokens

    def pixel(self, ref: Ref) -> str:
        return f"{self.base_url}/o/{self.tokens.sign('open', ref_payload(ref))}.gif"

    def click(self, ref: Ref, url: str) -> str:
        token = self.tokens.sign("click", [*ref_payload(ref), url])
        return f"{self.base_url}/c/{token}"

    def honeypot(self, message_public_id: str) -> str:
        return f"{self.base_url}/c/{self.tokens.sign('click', ['h', message_public_id])}"
