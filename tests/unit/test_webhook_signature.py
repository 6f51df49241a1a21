"""The hand-off webhook signature: HMAC-SHA256 over "<timestamp>.<body>"."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from nurture.handoff.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, signed_headers, verify

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
BODY = b'{"event":"lead.assigned"}'


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    """What a receiver recomputes with its copy of the secret."""
    expected = hmac.new(b"s3cret", b"1777885200." + BODY, hashlib.sha256).hexdigest()
    assert sign("s3cret", 1777885200, BODY) == f"sha256={expected}"


def test_headers_verify_and_tampering_does_not() -> None:
    """The signed headers verify; another body, secret or an old timestamp do not."""
    headers = signed_headers("s3cret", BODY, NOW, "d1", "lead.assigned")
    stamp, signature = headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER]
    assert verify("s3cret", stamp, BODY, signature, NOW)
    assert not verify("s3cret", stamp, BODY + b" ", signature, NOW)
    assert not verify("other", stamp, BODY, signature, NOW)
    assert not verify("s3cret", stamp, BODY, signature, NOW + timedelta(minutes=6))
    assert not verify("s3cret", "yesterday", BODY, signature, NOW)
