"""Tracking links, payloads, hit lines, IP truncation, the networks file, the pixel."""

from __future__ import annotations

import pytest

from nurture.consent.tokens import Tokens
from nurture.tracking import instrument
from nurture.tracking.hits import BadHit, Hit, decode, truncate_ip
from nurture.tracking.links import (
    AggregateRef,
    BadPayload,
    MessageRef,
    TrackingLinks,
    parse_click,
    parse_open,
    safe_target,
)
from nurture.tracking.networks import NetworksError, load_networks, parse_networks

LINKS = TrackingLinks("https://n.example", Tokens(("k",)))


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://acme.example/a?b=1&c=2#d", True),
        ("http://acme.example", True),
        ("HTTPS://ACME.EXAMPLE/x", True),
        ("//evil.example/x", False),
        ("/relative", False),
        ("javascript:alert(1)", False),
        ("JavaScript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("ftp://acme.example/file", False),
        ("https:evil.example", False),
        ("https:///evil.example", False),
        ("https://acme.example/\r\nSet-Cookie: a=b", False),
        ("https://acme.example/a b", False),
        ("https://acme.example\\@evil.example", False),
        ("https://acmé.example/", False),
        ("", False),
        ("https://acme.example/" + "a" * 2000, False),
    ],
)
def test_safe_target(url: str, safe: bool) -> None:
    """Only absolute http(s) URLs a header and a browser read the same way."""
    assert safe_target(url) is safe


@pytest.mark.parametrize(
    "payload",
    [
        ["m", "msg", "javascript:alert(1)"],
        ["m", "msg", "//evil.example"],
        ["m", "msg"],
        ["a", "camp", "https://acme.example"],
        ["x", "msg", "https://acme.example"],
        "https://acme.example",
        None,
    ],
)
def test_click_payloads_we_never_mint_are_refused(payload: object) -> None:
    """Even a validly signed payload of another shape redirects nowhere."""
    with pytest.raises(BadPayload):
        parse_click(payload)


def test_payloads_round_trip() -> None:
    """What the links sign is what the handlers read back."""
    tokens = LINKS.tokens
    click = LINKS.click(MessageRef("msg"), "https://acme.example/a")
    target = parse_click(tokens.verify("click", click.rsplit("/", 1)[1]))
    assert (target.ref, target.url, target.honeypot) == (
        MessageRef("msg"),
        "https://acme.example/a",
        False,
    )
    honeypot = parse_click(tokens.verify("click", LINKS.honeypot("msg").rsplit("/", 1)[1]))
    assert honeypot.honeypot
    assert honeypot.ref == MessageRef("msg")
    pixel = LINKS.pixel(AggregateRef("camp", "step"))
    assert pixel.endswith(".gif")
    token = pixel.rsplit("/", 1)[1].removesuffix(".gif")
    assert parse_open(tokens.verify("open", token)) == AggregateRef("camp", "step")


@pytest.mark.parametrize(
    ("address", "truncated"),
    [
        ("203.0.113.77", "203.0.113.0"),
        ("2001:db8:abcd:12:34::1", "2001:db8:abcd::"),
        ("::ffff:198.51.100.200", "198.51.100.0"),
        ("010.1.2.3", None),
        ("256.1.2.3", None),
        ("not an address", None),
        ("", None),
        (None, None),
    ],
)
def test_truncate_ip(address: str | None, truncated: str | None) -> None:
    """/24 for IPv4, /48 for IPv6: a network, never a household."""
    assert truncate_ip(address) == truncated


def test_hit_lines_round_trip_and_torn_lines_are_refused() -> None:
    """A line decodes to the same hit; a line torn by a power cut is BadHit."""
    hit = Hit("id1", "click", ["m", "msg", "https://a.example"], "GET", None, "UA", 1.5, 2.5)
    assert decode(hit.encode()) == hit
    for torn in (hit.encode()[:20], b"[]", b'["id","other",[],"GET",null,"",1,2]'):
        with pytest.raises(BadHit):
            decode(torn)


def test_the_shipped_networks_file_loads() -> None:
    """Every line parses, with a reason and a known classification."""
    networks = load_networks()
    assert networks
    assert all(known.reason for known in networks)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("17.0.0.0/8 open proxy", "expected NETWORK"),
        ("17.0.0.1/8 open proxy Apple", "host bits set"),
        ("203.0.113.128/25 open proxy x", "narrower than /24"),
        ("2001:db8::/64 click scanner x", "narrower than /48"),
        ("17.0.0.0/8 view proxy Apple", "applies to 'view'"),
        ("17.0.0.0/8 open human Apple", "classification 'human'"),
    ],
)
def test_networks_file_errors_name_the_line(line: str, message: str) -> None:
    """A bad line is refused with file:line, never silently skipped."""
    with pytest.raises(NetworksError, match=message) as raised:
        parse_networks(f"# comment\n{line}\n", "ranges.txt")
    assert str(raised.value).startswith("ranges.txt:2:")


BODY = "<html><body><p>Hi</p></body></html>"


def test_personal_tracking_adds_pixel_and_honeypot_before_body_end() -> None:
    """The pixel is a 1×1 image with empty alt; the honeypot is hidden from everyone."""
    html = instrument.personal(LINKS, "msg").finish(BODY)
    tail = html[html.index("<p>Hi</p>") + len("<p>Hi</p>") : html.index("</body>")]
    assert '<img src="https://n.example/o/' in tail
    assert 'width="1" height="1" alt=""' in tail
    assert "display:none" in tail
    assert 'aria-hidden="true"' in tail
    assert 'tabindex="-1"' in tail
    assert tail.index("/c/") < tail.index("/o/")


def test_aggregate_tracking_has_no_honeypot_and_no_message() -> None:
    """Aggregate links sign only the campaign and step."""
    tracking = instrument.aggregate(LINKS, "camp", "step")
    assert not tracking.personal
    assert tracking.honeypot_url is None
    assert tracking.rewrite_link is not None
    token = tracking.rewrite_link("https://acme.example/x").rsplit("/", 1)[1]
    assert LINKS.tokens.verify("click", token) == ["a", "camp", "step", "https://acme.example/x"]


def test_untracked_mail_is_unchanged_and_unsafe_links_stay_plain() -> None:
    """No tracking changes nothing; a link the redirect would refuse is left as written."""
    assert instrument.UNTRACKED.finish(BODY) == BODY
    rewrite = instrument.personal(LINKS, "msg").rewrite_link
    assert rewrite is not None
    assert rewrite("https://acmé.example/x") == "https://acmé.example/x"
    assert rewrite("https://acme.example/x").startswith("https://n.example/c/")
