"""Signed link tokens: one salt per purpose, key rotation, opaque payloads only.

A token carries a random public id (never an email, a name or a serial id) and is
signed with the newest key of ``NURTURE_SECRET_KEYS``; every listed key verifies, so a
rotation never breaks links already in inboxes. A token minted for one purpose is
refused by every other (the salt differs), and library errors become our own two
exceptions so that callers never leak itsdangerous details (or the token) into logs.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from datetime import timedelta
from functools import cached_property
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, want_bytes
from itsdangerous.signer import Signer
from itsdangerous.timed import TimestampSigner
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


class _KeyedOnceSigner(TimestampSigner):
    """The library's signatures, with the signing key derived and the HMAC keyed once and
    copied for each signature. Deriving and keying were two trips per signature through
    OpenSSL's algorithm lookup, each about 5 µs with the CPU caches as cold as they are
    between two mails. Verifying is the library's own (every listed key)."""

    @cached_property
    def _keyed(self) -> hmac.HMAC:
        return hmac.new(self.derive_key(), digestmod=self.digest_method)

    def get_signature(self, value: str | bytes) -> bytes:
        mac = self._keyed.copy()
        mac.update(want_bytes(value))
        return base64_encode(mac.digest())


class _Serializer(URLSafeTimedSerializer):
    """Signing a link is on the sender's path (two or more per mail), so:
    - no zlib: the library tries it on every payload and keeps it only when shorter; ours
      are a few ids, which it never shortens, and the attempt cost three quarters of the
      signing. Loading is unchanged (a compressed payload starts with a dot), so tokens
      minted either way verify;
    - one signer per purpose, made once, instead of one per token."""

    default_signer = _KeyedOnceSigner

    def dump_payload(self, obj: Any) -> bytes:
        # The JSON of Serializer, skipping the mixin's compression; base64 as the mixin.
        return base64_encode(super(URLSafeSerializerMixin, self).dump_payload(obj))

    @cached_property
    def _signer(self) -> Signer:
        return super().make_signer(self.salt)

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        return self._signer if salt is None or salt == self.salt else super().make_signer(salt)


class Tokens:
    def __init__(self, keys_newest_first: Sequence[str], confirm_days: int = 7) -> None:
        if not keys_newest_first:
            raise ValueError("at least one signing key is needed")
        # itsdangerous signs with the *last* key and verifies with all of them.
        keys = list(reversed(keys_newest_first))
        self._serializers = {
            purpose: _Serializer(keys, salt=f"nurture.{purpose}") for purpose in PURPOSES
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
