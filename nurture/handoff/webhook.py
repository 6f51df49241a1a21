"""Signed webhook requests to a CRM, and the HTTP client that sends them.

The signature is HMAC-SHA256 over ``"<timestamp>.<body>"`` with the shared secret
(NURTURE_HANDOFF_WEBHOOK_SECRET), sent as::

    X-Nurture-Timestamp: 1767225600
    X-Nurture-Signature: sha256=<hex>

Signing the timestamp with the body lets a receiver refuse replays (reject timestamps
more than a few minutes old); `verify` is the reference check. `X-Nurture-Delivery` is
the same on every retry of one delivery: receivers deduplicate on it (at least once).
"""

from __future__ import annotations

import hashlib
import hmac
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

SIGNATURE_HEADER = "X-Nurture-Signature"
TIMESTAMP_HEADER = "X-Nurture-Timestamp"
DELIVERY_HEADER = "X-Nurture-Delivery"
EVENT_HEADER = "X-Nurture-Event"
USER_AGENT = "nurture-webhook/1"
_REPLY_CHARS = 500


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    now: datetime,
    tolerance: timedelta = timedelta(minutes=5),
) -> bool:
    """What a receiver does: a fresh timestamp and a matching signature."""
    if not timestamp.isdigit():
        return False
    if abs(now.timestamp() - int(timestamp)) > tolerance.total_seconds():
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)


def signed_headers(
    secret: str, body: bytes, now: datetime, delivery_id: str, event: str
) -> dict[str, str]:
    timestamp = int(now.timestamp())
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
    }


@dataclass(frozen=True)
class HttpReply:
    status: int
    body: str


class Poster(Protocol):
    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> HttpReply:
        """The reply, whatever its status; raises OSError when there is none."""
        ...


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirected POST would be replayed as a GET, or to a host nobody configured.
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class UrllibPoster:
    """The standard library's client: one request per delivery needs nothing more."""

    def __init__(self) -> None:
        self._opener = urllib.request.build_opener(_NoRedirects())

    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> HttpReply:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"not an http(s) URL: {url!r}")  # the schema checked it too
        request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310 - scheme checked above
        try:
            with self._opener.open(request, timeout=timeout) as response:
                return HttpReply(response.status, _text(response.read(_REPLY_CHARS)))
        except urllib.error.HTTPError as error:
            return HttpReply(error.code, _text(error.read(_REPLY_CHARS)))


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")
