"""Rolling-window counters in the database, keyed by an HMAC of what they count.

Kept in the database rather than Redis so the embedded set-up (SQLite, no Redis) is
protected too, and so erasure can delete a person's counters in the same transaction as
the rest of their data. A key is ``HMAC(suppression key, scope:value)``: neither an IP
address nor an email address is ever stored in clear.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nurture.consent.suppression import email_hash
from nurture.models import RateLimit

HOUR = timedelta(hours=1)
# What a sign-up is counted under.
SIGNUP_IP = "signup-ip"
CONFIRM_MAIL = "confirm-mail"  # confirmation mails per address
LINK_MAIL = "link-mail"  # fresh-link and address-change mails per address
ADDRESS_SCOPES = (CONFIRM_MAIL, LINK_MAIL)


def limit_key(secret: str, scope: str, value: str) -> str:
    return email_hash(secret, f"{scope}:{value}")


def allow(session: Session, key: str, limit: int, now: datetime, window: timedelta = HOUR) -> bool:
    """Count one hit; True while at most ``limit`` hits fell in the window that began
    with the first of them (a rolling window: never more than ``limit`` per hour)."""
    row = session.get(RateLimit, key, with_for_update=True)
    if row is None:
        try:
            with session.begin_nested():
                session.add(RateLimit(key=key, window_start=now, count=1))
            return limit >= 1
        except IntegrityError:  # a concurrent first hit: count on its row
            row = session.get_one(RateLimit, key, with_for_update=True, populate_existing=True)
    if now - row.window_start >= window:
        row.window_start, row.count = now, 1
        return limit >= 1
    row.count += 1
    return row.count <= limit


def forget_address(session: Session, secret: str, normalised_email: str) -> None:
    """Erasure: the counters of an address go with the rest of the person's data."""
    keys = [limit_key(secret, scope, normalised_email) for scope in ADDRESS_SCOPES]
    session.execute(delete(RateLimit).where(RateLimit.key.in_(keys)))


def purge_expired(session: Session, now: datetime, window: timedelta = HOUR) -> int:
    result = session.execute(delete(RateLimit).where(RateLimit.window_start < now - window))
    return int(getattr(result, "rowcount", 0) or 0)
