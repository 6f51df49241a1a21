"""Rolling-window counters in the database, keyed by an HMAC of what they count.

Kept in the database rather than Redis so the embedded set-up (SQLite, no Redis) is
protected too, and so erasure can delete a person's counters in the same transaction as
the rest of their data. A key is ``HMAC(suppression key, scope:value)``: neither an IP
address nor an email address is ever stored in clear.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nurture.consent.suppression import email_hash
from nurture.db import lock_for_writing, savepoint
from nurture.models import RateLimit

HOUR = timedelta(hours=1)
# What a sign-up is counted under.
SIGNUP_IP = "signup-ip"
CONFIRM_MAIL = "confirm-mail"  # confirmation mails per address
LINK_MAIL = "link-mail"  # fresh-link and address-change mails per address
ADDRESS_CHANGE = "address-change"  # address changes a lead asks for, per its address
ADDRESS_SCOPES = (CONFIRM_MAIL, LINK_MAIL, ADDRESS_CHANGE)


def limit_key(secret: str, scope: str, value: str) -> str:
    return email_hash(secret, f"{scope}:{value}")


def mailbox_key(secret: str, scope: str, normalised_email: str) -> str:
    """The counter of a mailbox. `ana+1@x`, `ana+2@x`… are delivered to `ana@x`'s inbox
    (sub-addressing): counted apart, a subscription bomber would just number the tags."""
    local, at, domain = normalised_email.rpartition("@")
    return limit_key(secret, scope, (local.split("+", 1)[0] or local) + at + domain)


def client_key(secret: str, scope: str, ip: str | None) -> str:
    """The counter of a client address. An IPv6 host is handed a whole /64 and can take
    a fresh address for every request: it counts as its /64, or a per-IP limit is none."""
    return limit_key(secret, scope, _client_network(ip))


def _client_network(ip: str | None) -> str:
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return ip or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network((address, 64), strict=False))
    return str(address)


def allow(session: Session, key: str, limit: int, now: datetime, window: timedelta = HOUR) -> bool:
    """Count one hit; True while at most ``limit`` hits fell in the window that began
    with the first of them (a rolling window: never more than ``limit`` per hour)."""
    # SQLite: take the write lock first. Counting is read-modify-write: two requests
    # must not both read 1 and write 2.
    lock_for_writing(session)
    row = session.get(RateLimit, key, with_for_update=True)
    if row is None:
        try:
            with savepoint(session):
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
    keys = [mailbox_key(secret, scope, normalised_email) for scope in ADDRESS_SCOPES]
    session.execute(delete(RateLimit).where(RateLimit.key.in_(keys)))


def purge_expired(session: Session, now: datetime, window: timedelta = HOUR) -> int:
    result = session.execute(delete(RateLimit).where(RateLimit.window_start < now - window))
    return int(getattr(result, "rowcount", 0) or 0)
