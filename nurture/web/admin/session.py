"""The dashboard's own session cookie, and who is signed in.

Prospect pages keep Flask's `session` cookie (their CSRF tokens); every `/admin` URL gets
a separate signed cookie instead, `nurture_admin`: its own signing salt (a prospect's
cookie cannot be replayed here), `Path=/admin`, `HttpOnly`, `SameSite=Strict`, and
`Secure` whenever NURTURE_BASE_URL is https (a plain-http development URL could not
send it back otherwise). Flask-WTF keeps the admin forms' CSRF token in it too.

A sign-in lasts `LIFETIME` at most and ends after `IDLE` without a request; it also ends
when NURTURE_ADMIN_PASSWORD changes (the cookie carries a keyed digest of it) or the
newest signing key changes. Logging out clears the cookie. The cookie is the whole
session (nothing is stored server-side), so a copied cookie stays valid until one of
those happens: keep the dashboard on https.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, Request, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionInterface
from flask.wrappers import Response
from itsdangerous import BadSignature

from nurture.runtime import Runtime

COOKIE = "nurture_admin"
PATH = "/admin"
LIFETIME = timedelta(hours=8)
IDLE = timedelta(hours=1)
_KEY = "signed_in"


def is_admin_path(path: str) -> bool:
    return path == PATH or path.startswith(PATH + "/")


class AdminSession(SecureCookieSession):
    """Marks the session as the dashboard's, so it is saved to the dashboard's cookie."""


class AdminCookie(SecureCookieSessionInterface):
    salt = "nurture-admin-session"
    session_class = AdminSession

    def get_cookie_name(self, app: Flask) -> str:
        return COOKIE

    def get_cookie_domain(self, app: Flask) -> str | None:
        return None  # host-only

    def get_cookie_path(self, app: Flask) -> str:
        return request.script_root + PATH

    def get_cookie_httponly(self, app: Flask) -> bool:
        return True

    def get_cookie_secure(self, app: Flask) -> bool:
        rt: Runtime = app.extensions["nurture"]
        return rt.settings.base_url.startswith("https://")

    def get_cookie_samesite(self, app: Flask) -> str:
        return "Strict"

    def get_expiration_time(self, app: Flask, session: Any) -> datetime | None:
        started = (session.get(_KEY) or {}).get("since")
        return datetime.fromtimestamp(started, UTC) + LIFETIME if started else None

    def open_session(self, app: Flask, request: Request) -> AdminSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(COOKIE)
        if not value:
            return AdminSession()
        try:  # the signature's own age check, beside the sign-in's
            return AdminSession(serializer.loads(value, max_age=int(LIFETIME.total_seconds())))
        except BadSignature:
            return AdminSession()


class PathSessions(SessionInterface):
    """The dashboard's cookie under /admin, the app's usual one everywhere else."""

    def __init__(self, public: SessionInterface, admin: AdminCookie) -> None:
        self.public, self.admin = public, admin

    def open_session(self, app: Flask, request: Request) -> Any:
        chosen = self.admin if is_admin_path(request.path) else self.public
        return chosen.open_session(app, request)

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        chosen = self.admin if isinstance(session, AdminSession) else self.public
        chosen.save_session(app, session, response)


def _fingerprint(rt: Runtime) -> str:
    """Changes when the password does: every earlier sign-in ends."""
    secret = rt.settings.secret_keys[0].encode()
    password = (rt.settings.admin_password or "").encode()
    return hmac.new(secret, b"admin-password:" + password, hashlib.sha256).hexdigest()[:32]


def sign_in(rt: Runtime, now: datetime) -> None:
    session.clear()  # a fresh session (and CSRF token) at every sign-in: no fixation
    stamp = now.timestamp()
    session[_KEY] = {"since": stamp, "seen": stamp, "key": _fingerprint(rt)}


def sign_out() -> None:
    session.clear()


def signed_in(rt: Runtime, now: datetime) -> bool:
    """Whether this request is signed in; marks it seen (the idle timer restarts)."""
    found = session.get(_KEY)
    if not isinstance(found, dict):
        return False
    stamp = now.timestamp()
    fresh = (
        stamp - float(found.get("since", 0)) < LIFETIME.total_seconds()
        and stamp - float(found.get("seen", 0)) < IDLE.total_seconds()
        and hmac.compare_digest(str(found.get("key", "")), _fingerprint(rt))
    )
    if not fresh:
        session.clear()
        return False
    if stamp - float(found["seen"]) >= 60:  # not a new cookie on every single request
        session[_KEY] = {**found, "seen": stamp}
    return True
