"""The pixel and the click redirect over HTTP: same GIF always, no open redirect."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from nurture.runtime import Runtime
from nurture.web import create_app
from nurture.web.tracking import GIF
from tests.conftest import RuntimeFactory
from tests.tracking_support import CHROME, visit

T0 = datetime(2026, 5, 4, 9, tzinfo=UTC)


@pytest.fixture
def rt(make_runtime: RuntimeFactory) -> Runtime:
    # The endpoints never touch the database: SQLite is enough here.
    return make_runtime("sqlite:///:memory:", tracking_drain_interval=0)


def buffered(rt: Runtime) -> list[tuple[str, str, list[object]]]:
    batch = rt.tracking.spool.read(1000)
    rt.tracking.spool.release(batch)
    return [(hit.kind, hit.method, hit.payload) for hit in batch.hits]


def test_pixel_is_the_same_gif_whatever_the_token(rt: Runtime) -> None:
    """Valid, tampered, foreign-purpose or garbage: 200, one GIF, never cached."""
    client = create_app(rt).test_client()
    valid = rt.tracking.tokens.sign("open", ["m", "msg"])
    click_token = rt.tracking.tokens.sign("click", ["m", "msg", "https://acme.example/"])
    for token in (valid, valid[:-2] + "xx", click_token, "garbage", "a.b.c"):
        response = visit(client, f"/o/{token}.gif")
        assert response.status_code == 200
        assert response.data == GIF
        assert response.mimetype == "image/gif"
        assert response.headers["Cache-Control"] == "no-store"
    assert len(GIF) < 50
    assert GIF.startswith(b"GIF89a\x01\x00\x01\x00")
    assert buffered(rt) == [("open", "GET", ["m", "msg"])]


def test_click_redirects_to_exactly_the_signed_url(rt: Runtime) -> None:
    """302 to the signed target, byte for byte; query strings on our URL change nothing."""
    client = create_app(rt).test_client()
    target = "https://acme.example/downloads/sheet?utm_source=mail&x=%2F%2Fevil#part"
    token = rt.tracking.tokens.sign("click", ["m", "msg", target])
    for path in (f"/c/{token}", f"/c/{token}?next=https://evil.example"):
        response = visit(client, path)
        assert response.status_code == 302
        assert response.headers["Location"] == target
        assert response.headers["Referrer-Policy"] == "no-referrer"
    head = visit(client, f"/c/{token}", method="HEAD")
    assert head.status_code == 302
    assert head.headers["Location"] == target
    methods = [method for _, method, _ in buffered(rt)]
    assert methods == ["GET", "GET", "HEAD"]


def _tampered(token: str, url: str) -> str:
    """The same timestamp and signature with another target in the payload."""
    assert not token.startswith(".")  # not compressed: the payload is plain base64 JSON
    payload = json.dumps(["m", "msg", url], separators=(",", ":")).encode()
    forged = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
    return forged + token[token.index(".") :]


REFUSED = [
    "//evil.example/phish",
    "javascript:alert(document.cookie)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "ftp://acme.example/file",
    "https:evil.example",
    "https://acme.example/\r\nLocation: https://evil.example",
    "/relative/path",
]


@pytest.mark.parametrize("url", REFUSED)
def test_signed_but_unsafe_targets_are_refused(rt: Runtime, url: str) -> None:
    """Even with a valid signature: 400, no Location header, nothing recorded."""
    token = rt.tracking.tokens.sign("click", ["m", "msg", url])
    response = visit(create_app(rt).test_client(), f"/c/{token}")
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert buffered(rt) == []


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(
            lambda rt, good: _tampered(good, "https://evil.example/"), id="changed target"
        ),
        pytest.param(lambda rt, good: _tampered(good, "//evil.example"), id="changed to //"),
        pytest.param(lambda rt, good: good[:-3] + "abc", id="bad signature"),
        pytest.param(
            lambda rt, good: rt.tracking.tokens.sign("open", ["m", "msg", "https://evil.example"]),
            id="token of another purpose",
        ),
        pytest.param(
            lambda rt, good: rt.tokens.sign("unsubscribe", ["m", "msg", "https://evil.example"]),
            id="unsubscribe token",
        ),
        pytest.param(lambda rt, good: "https:%2F%2Fevil.example", id="a URL instead of a token"),
        pytest.param(lambda rt, good: "", id="empty"),
    ],
)
def test_forged_tokens_are_refused(rt: Runtime, make_token: object) -> None:
    """A changed target with an old signature, or any unsigned token: 400, no Location."""
    good = rt.tracking.tokens.sign("click", ["m", "msg", "https://acme.example/"])
    token = make_token(rt, good)  # type: ignore[operator]
    response = visit(create_app(rt).test_client(), f"/c/{token}")
    assert response.status_code in (400, 404)  # 404: an empty token matches no route
    assert "Location" not in response.headers
    assert buffered(rt) == []


def test_honeypot_answers_no_content(rt: Runtime) -> None:
    """The hidden link goes nowhere, and the hit is buffered for classification."""
    token = rt.tracking.tokens.sign("click", ["h", "msg"])
    response = visit(create_app(rt).test_client(), f"/c/{token}", agent=CHROME)
    assert response.status_code == 204
    assert "Location" not in response.headers
    assert buffered(rt) == [("click", "GET", ["h", "msg"])]


def test_full_addresses_never_reach_the_buffer(rt: Runtime) -> None:
    """The web process truncates the address before anything is written."""
    token = rt.tracking.tokens.sign("open", ["m", "msg"])
    visit(create_app(rt).test_client(), f"/o/{token}.gif", ip="203.0.113.77")
    batch = rt.tracking.spool.read(10)
    rt.tracking.spool.release(batch)
    assert [hit.ip for hit in batch.hits] == ["203.0.113.0"]
