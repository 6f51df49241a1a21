"""The dashboard's door: disabled without a password, sign-in, rate limit, CSRF, cookie,
session lifetime, logout and the headers of every page."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from flask.sessions import SecureCookieSessionInterface
from werkzeug.test import TestResponse

from nurture.clock import FixedClock
from nurture.db import unit_of_work
from nurture.models import CampaignState
from nurture.web import create_app
from nurture.web.admin.session import PathSessions
from tests.admin_support import PASSWORD, Admin, make_admin, signed_in
from tests.conftest import RuntimeFactory
from tests.pipeline import THREE_STEPS, write_campaign
from tests.prospects import csrf_of

# Real time: the test client drops cookies whose Expires has passed.
NOW = datetime.now(UTC).replace(microsecond=0)
PAGES = ("/admin/", "/admin/leads", "/admin/sales", "/admin/outbox")


def cookie_header(response: TestResponse) -> str:
    [found] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("nurture_admin=")]
    return found


def test_without_a_password_nothing_is_mounted(make_runtime: RuntimeFactory, db_url: str) -> None:
    """NURTURE_ADMIN_PASSWORD unset: every /admin URL is a 404, GET or POST."""
    rt = make_runtime(db_url)
    client = create_app(rt).test_client()
    for path in (*PAGES, "/admin", "/admin/login", "/admin/assets/admin.css", "/admin/nope"):
        assert client.get(path).status_code == 404, path
    assert client.post("/admin/login", data={"password": ""}).status_code == 404
    assert client.post("/admin/outbox/x/resend").status_code == 404


def test_pages_need_a_sign_in(make_runtime: RuntimeFactory, db_url: str) -> None:
    """Signed out, a page sends to the login form, which brings back to the page after."""
    admin = make_admin(make_runtime, db_url)
    for path in PAGES:
        response = admin.client.get(path)
        assert response.status_code == 303
        assert response.location.startswith("/admin/login?next=")
    answer = admin.login(next="/admin/leads?temperature=hot")
    assert (answer.status_code, answer.location) == (303, "/admin/leads?temperature=hot")
    for path in PAGES:
        assert admin.client.get(path).status_code == 200, path


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/admin", "/subscribe"])
def test_no_open_redirect_after_sign_in(
    make_runtime: RuntimeFactory, db_url: str, target: str
) -> None:
    """`next` only ever leads to a dashboard page of this site."""
    admin = make_admin(make_runtime, db_url)
    assert admin.login(next=target).location == "/admin/"


def test_wrong_password_is_refused_and_logged_without_it(
    make_runtime: RuntimeFactory, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """401 with the form again; the log names the user and address, never the password."""
    admin = make_admin(make_runtime, db_url)
    with caplog.at_level(logging.INFO, logger="nurture.admin.login"):
        response = admin.login(password="hunter2-wrong")
        wrong_user = admin.login(username="root")
    assert response.status_code == 401
    assert "Wrong user name or password" in response.get_data(as_text=True)
    assert wrong_user.status_code == 401  # the right password for another user name
    assert admin.client.get("/admin/").status_code == 303
    assert "admin login failed: user 'admin' from 127.0.0.1" in caplog.text
    assert "hunter2" not in caplog.text
    assert PASSWORD not in caplog.text


def test_five_failures_lock_the_ip_and_the_user_for_15_minutes(
    make_runtime: RuntimeFactory, db_url: str
) -> None:
    """The sixth attempt is refused even with the right password, per IP and per user
    name; the window passes and the right password works again."""
    admin = make_admin(make_runtime, db_url)
    admin.rt.wall_clock = clock = FixedClock(NOW)
    for _ in range(5):
        assert admin.login(password="guess").status_code == 401
    assert admin.login().status_code == 429
    other_user = admin.login(username="marketing", password="guess")
    assert other_user.status_code == 429  # same address
    elsewhere = admin.app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert Admin(admin.rt, admin.app, elsewhere).login().status_code == 429  # same user
    assert "Too many failed sign-ins" in admin.login().get_data(as_text=True)

    clock.advance(timedelta(minutes=15))
    assert admin.login().status_code == 303
    assert admin.client.get("/admin/").status_code == 200


def test_a_success_clears_the_failures(make_runtime: RuntimeFactory, db_url: str) -> None:
    """Four failures, a success: the next four failures do not lock anyone out."""
    admin = make_admin(make_runtime, db_url)
    for _ in range(4):
        admin.login(password="guess")
    assert admin.login().status_code == 303
    for _ in range(4):
        assert admin.login(password="guess").status_code == 401
    assert admin.login().status_code == 303


def test_forms_without_a_csrf_token_change_nothing(
    make_runtime: RuntimeFactory, db_url: str
) -> None:
    """Login and every action refuse a post without the token (400), signed in or not."""
    admin = make_admin(make_runtime, db_url)
    no_token = admin.client.post("/admin/login", data={"username": "admin", "password": PASSWORD})
    assert no_token.status_code == 400
    assert admin.client.get("/admin/").status_code == 303  # not signed in
    admin.login()
    write_campaign(admin.rt, THREE_STEPS)
    with unit_of_work(admin.rt.sessions) as session:
        session.add(CampaignState(campaign_id="drip", version="v", paused=True, updated_at=NOW))
    forged = admin.client.post("/admin/campaigns/drip/resume", data={"csrf_token": "forged"})
    assert forged.status_code == 400
    assert "nothing was changed" in forged.get_data(as_text=True)
    with unit_of_work(admin.rt.sessions) as session:
        assert session.get_one(CampaignState, "drip").paused
    assert admin.client.post("/admin/logout").status_code == 400
    assert admin.client.get("/admin/").status_code == 200  # still signed in


def test_cookie_flags(make_runtime: RuntimeFactory, db_url: str) -> None:
    """Its own cookie: Secure (https base URL), HttpOnly, SameSite=Strict, Path=/admin,
    expiring with the sign-in; the prospect pages' cookie is not touched."""
    admin = make_admin(make_runtime, db_url)
    flags = cookie_header(admin.login())
    for flag in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/admin", "Expires="):
        assert flag in flags
    assert all(
        not header.startswith("session=")
        for header in admin.client.get("/admin/").headers.getlist("Set-Cookie")
    )


def test_development_over_plain_http(make_runtime: RuntimeFactory, db_url: str) -> None:
    """An http:// base URL (the demo, tests) gets a cookie without Secure, or the
    browser would never send it back."""
    admin = make_admin(make_runtime, db_url, base_url="http://127.0.0.1:5000")
    flags = cookie_header(admin.login())
    assert "Secure" not in flags
    assert "HttpOnly" in flags


def test_logout(make_runtime: RuntimeFactory, db_url: str) -> None:
    """Logging out clears the cookie: the pages ask for a sign-in again."""
    admin = signed_in(make_runtime, db_url)
    response = admin.post("/admin/logout")
    assert response.request.path == "/admin/login"
    assert admin.client.get("/admin/").status_code == 303


def test_session_lifetime(make_runtime: RuntimeFactory, db_url: str) -> None:
    """A sign-in ends after an hour without a request, and after 8 hours in any case."""
    admin = make_admin(make_runtime, db_url)
    admin.rt.wall_clock = clock = FixedClock(NOW)
    admin.login()
    clock.advance(timedelta(minutes=59))
    assert admin.client.get("/admin/").status_code == 200
    clock.advance(timedelta(minutes=61))
    assert admin.client.get("/admin/").status_code == 303  # idle

    admin.login()
    for _ in range(16):
        clock.advance(timedelta(minutes=30))
        status = admin.client.get("/admin/").status_code
    assert status == 303  # 8 hours after signing in, however busy


def test_a_new_password_ends_every_sign_in(make_runtime: RuntimeFactory, db_url: str) -> None:
    """The cookie carries a digest of the password it was issued under."""
    admin = signed_in(make_runtime, db_url)
    admin.rt.settings = admin.rt.settings.with_overrides(admin_password="a new one")
    assert admin.client.get("/admin/").status_code == 303


def test_a_prospect_cookie_is_no_admin_cookie(make_runtime: RuntimeFactory, db_url: str) -> None:
    """The dashboard cookie has its own signing salt: the same content signed as the
    app's other cookie is refused."""
    admin = signed_in(make_runtime, db_url)
    value = cookie_header(admin.login()).split(";")[0].split("=", 1)[1]
    assert isinstance(admin.app.session_interface, PathSessions)
    content = admin.app.session_interface.admin.get_signing_serializer(admin.app)
    assert content is not None
    public = SecureCookieSessionInterface().get_signing_serializer(admin.app)
    assert public is not None
    forged = public.dumps(content.loads(value))
    client = admin.app.test_client()
    client.set_cookie("nurture_admin", forged, path="/admin")
    assert client.get("/admin/").status_code == 303
    client.set_cookie("nurture_admin", value, path="/admin")
    assert client.get("/admin/").status_code == 200


def test_security_headers_on_every_page(make_runtime: RuntimeFactory, db_url: str) -> None:
    """No inline script, no framing, no caching, no dashboard URL in other sites' logs."""
    admin = signed_in(make_runtime, db_url)
    for path in (*PAGES, "/admin/login"):
        headers = admin.client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "script-src 'none'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Cache-Control"] == "no-store"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_forms_over_https_need_the_same_origin_referer(
    make_runtime: RuntimeFactory, db_url: str
) -> None:
    """Over https Flask-WTF also checks the Referer: why the pages send
    `Referrer-Policy: same-origin` rather than `no-referrer`."""
    admin = make_admin(make_runtime, db_url)
    https = {"base_url": "https://nurture.test.example"}
    page = admin.client.get("/admin/login", **https).get_data(as_text=True)
    form = {"username": "admin", "password": PASSWORD, "csrf_token": csrf_of(page)}
    bare = admin.client.post("/admin/login", data=form, **https)
    assert bare.status_code == 400
    referred = {"Referer": "https://nurture.test.example/admin/login"}
    signed = admin.client.post("/admin/login", data=form, headers=referred, **https)
    assert signed.status_code == 303
