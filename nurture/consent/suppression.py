"""The suppression list: addresses never to mail again, kept only as a keyed hash.

HMAC-SHA256 with a dedicated key (``NURTURE_SUPPRESSION_KEY``) of the normalised address:
the list can prove "this address asked us to stop" after erasure without holding the
address, and a stolen copy cannot be checked against a list of addresses without the key.
The key must never change (unlike signing keys, which rotate): every entry depends on it.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from nurture.db import member_of
from nurture.models import Suppression
from nurture.models.consent import SUPPRESSION_REASONS

# Erasure outranks everything: a later bounce must not replace the reason "erased".
_RANK = {reason: rank for rank, reason in enumerate(SUPPRESSION_REASONS)}


def email_hash(key: str, normalised_email: str) -> str:
    mac = _keyed(key).copy()
    mac.update(normalised_email.encode())
    return mac.hexdigest()


@lru_cache(maxsize=4)
def _keyed(key: str) -> hmac.HMAC:
    """The HMAC keyed once, copied for each address: keying it looked the algorithm up in
    OpenSSL every time, 18 µs per mail on the sender's path with the CPU caches cold
    (1.3 µs in a tight loop), against 8 µs for a copy."""
    return hmac.new(key.encode(), digestmod="sha256")


def suppress(session: Session, key: str, normalised_email: str, reason: str, now: datetime) -> None:
    if reason not in _RANK:
        raise ValueError(f"unknown suppression reason {reason!r}")
    digest = email_hash(key, normalised_email)
    row = session.scalar(select(Suppression).where(Suppression.email_hash == digest))
    if row is None:
        session.add(Suppression(email_hash=digest, reason=reason, created_at=now, updated_at=now))
    elif _RANK[reason] > _RANK.get(row.reason, -1):
        row.reason = reason
        row.updated_at = now
    session.flush()


def suppression_reason(session: Session, key: str, normalised_email: str) -> str | None:
    digest = email_hash(key, normalised_email)
    return session.scalar(select(Suppression.reason).where(Suppression.email_hash == digest))


def suppressed_among(session: Session, key: str, emails: Iterable[str]) -> set[str]:
    """The subset of (normalised) addresses on the list, in one query."""
    by_hash = {email_hash(key, email): email for email in emails}
    if not by_hash:
        return set()
    hashes = session.scalars(
        select(Suppression.email_hash).where(member_of(session, Suppression.email_hash, by_hash))
    )
    return {by_hash[digest] for digest in hashes}


def lift(session: Session, key: str, normalised_email: str) -> bool:
    """Remove an entry (operator action); erasures cannot be lifted."""
    digest = email_hash(key, normalised_email)
    row = session.scalar(select(Suppression).where(Suppression.email_hash == digest))
    if row is None or row.reason == "erased":
        return False
    session.delete(row)
    return True
