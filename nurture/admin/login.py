"""The dashboard's login: one user, a constant-time check, and a rate limit on failures.

Failures are counted in `rate_limits` with the prospect side's rolling-window counters
(keyed HMACs: no address or user name in clear), per client IP and per user name: after
`FAILURES` failures within `WINDOW`, every attempt is refused without looking at the
password, until the window that began with the first failure has passed. A success
clears both counters. The password is never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete
from sqlalchemy.orm import Session

from nurture.models import RateLimit
from nurture.prospects.ratelimit import allow, client_key, limit_key

log = logging.getLogger(__name__)

USER = "admin"
FAILURES = 5
WINDOW = timedelta(minutes=15)
LOGIN_IP = "admin-login-ip"
LOGIN_USER = "admin-login-user"

Outcome = Literal["ok", "wrong", "limited"]


@dataclass(frozen=True)
class Attempt:
    username: str
    password: str
    ip: str | None


def _same(given: str, expected: str) -> bool:
    """Constant time whatever the lengths: digests of both are compared."""
    digest = hashlib.sha256
    return hmac.compare_digest(digest(given.encode()).digest(), digest(expected.encode()).digest())


def _keys(secret: str, attempt: Attempt) -> list[str]:
    user = attempt.username.strip().casefold()[:200]
    return [
        client_key(secret, LOGIN_IP, attempt.ip),
        limit_key(secret, LOGIN_USER, user),
    ]


def _exhausted(session: Session, key: str, now: datetime) -> bool:
    row = session.get(RateLimit, key)
    return row is not None and now - row.window_start < WINDOW and row.count >= FAILURES


def check_login(
    session: Session, secret: str, password: str, attempt: Attempt, now: datetime
) -> Outcome:
    keys = _keys(secret, attempt)
    shown = attempt.username[:64]
    if any(_exhausted(session, key, now) for key in keys):
        log.warning("admin login refused (too many failures): user %r from %s", shown, attempt.ip)
        return "limited"
    # Both comparisons always run: the time taken says nothing about which one failed.
    user_ok = _same(attempt.username, USER)
    password_ok = _same(attempt.password, password)
    if user_ok and password_ok:
        session.execute(delete(RateLimit).where(RateLimit.key.in_(keys)))
        log.info("admin login from %s", attempt.ip)
        return "ok"
    for key in keys:
        allow(session, key, FAILURES, now, WINDOW)
    log.warning("admin login failed: user %r from %s", shown, attempt.ip)
    return "wrong"
