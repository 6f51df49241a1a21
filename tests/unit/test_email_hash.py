"""The suppression list's keyed hash: HMAC-SHA256 of the normalised address, hex."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from nurture.consent.suppression import email_hash


@pytest.mark.parametrize("key", ["suppression-key", "another key", "clé-ünïcode"])
@pytest.mark.parametrize("email", ["ana@example.com", "josé@bücher.example", ""])
def test_is_hmac_sha256_of_the_address(key: str, email: str) -> None:
    """Entries written by any version must keep matching: the hash is plain HMAC-SHA256,
    whatever the cached, copied HMAC object does, and each key keeps its own."""
    expected = hmac.new(key.encode(), email.encode(), hashlib.sha256).hexdigest()
    assert email_hash(key, email) == expected
    assert email_hash(key, email) == expected  # the copy left the keyed HMAC untouched
