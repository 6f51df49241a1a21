"""Signed link tokens: one salt per purpose, key rotation, opaque payloads only.

A token carries a random public id (never an email, a name or a serial id) and is
signed with the newest key of ``NURTURE_SECRET_KEYS``; every listed key verifies, so a
rotation never breaks links already in inboxes. A token minted for one purpose is
refused by every other (the salt differs), and library errors become our own two
exceptions so that callers never leak itsdangerous details (or the token) into logs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.url_safe import URLSafeSerializerMixin

DAY = 86_400
# Seconds a token of each purpose stays valid.
LIFETIMES: dict[str, int] = {
    "confirm": 7 * DAY,  # overridden by NURTURE_CONFIRM_DAYS
    "unsubscribe": 400 * DAY,  # "at least a year": a mail read late must still work
    "preferences": 30 * DAY,  # preference centre and my-data pages
    "erase": 1 * DAY,  # the explicit confirmation step of an erasure
    "address": 7 * DAY,  # double opt-in of a changed address; overridden like "confirm"
    # The sign-up form's own CSRF token: a form embedded in a marketer's page (an iframe)
    # gets no cookies where third-party cookies are blocked, so it cannot be session-bound.
    "form": 1 * DAY,
    "click": 400 * DAY,
    "open": 400 * DAY,
}
PURPOSES = tuple(LIFETIMES)


class InvalidToken(Exception):
    """Tampered, wrong purpose, or signed with a key no longer listed."""


class ExpiredToken(InvalidToken):
    """Validly signed, but older than its purpose allows (or dated in the future)."""


class _UncompressedSerializer(URLSafeTimedSerializer):
    """itsdangerous tries zlib on every payload and keeps the result only when it is
    shorter. Ours are a few ids, which zlib never shortens, and the attempt cost three
    quarters of signing a link (the sender signs two or more per mail). Loading is
    unchanged: a compressed payload is marked by a leading dot, so tokens minted either
    way verify."""

    def dump_payload(self, obj: Any) -> bytes:
        # The JSON of Serializer, skipping the mixin's compression; base64 as the mixin.
        return base64_encode(super(URLSafeSerializerMixin, self).dump_payload(obj))


class Tokens:
    def __init__(self, keys_newest_first: Sequence[str], confirm_days: int = 7) -> None:
        if not keys_newest_first:
            raise ValueError("at least one signing key is needed")
        # itsdangerous signs with the *last* key and verifies with all of them.
        keys = list(reversed(keys_newest_first))
        self._serializers = {
            purpose: _UncompressedSerializer(keys, salt=f"nurture.{purpose}")
            for purpose in PURPOSES
        }
        self._lifetimes = {
            **LIFETIMES,
            "confirm": int(timedelta(days=confirm_days).total_seconds()),
            "address": int(timedelta(days=confirm_days).total_seconds()),
        }

    def sign(self, purpose: str, payload: Any) -> str:
        return str(self._serializers[purpose].dumps(payload))

    def verify(self, purpose: str, token: str) -> Any:
        serializer = self._serializers.get(purpose)
        if serializer is None:
            raise InvalidToken("unknown token purpose")
        try:
            return serializer.loads(token, max_age=self._lifetimes[purpose])
        except SignatureExpired:
            raise ExpiredToken("link expired") from None
        except (BadSignature, ValueError, TypeError, UnicodeError):
            raise InvalidToken("link not valid") from None
