"""Engagement classification: every rule, its reason, and the per-message rules."""

from __future__ import annotations

import pytest

from nurture.tracking.classify import (
    HUMAN,
    PROXY,
    SCANNER,
    Click,
    HitFacts,
    Rules,
    Verdict,
    classify,
    correlate,
)
from nurture.tracking.networks import load_networks

RULES = Rules(networks=load_networks())
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148"
)
OUTLOOK = "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)"
HOME = "198.51.100.0"  # a truncated residential address (TEST-NET-2)


def hit(kind: str = "click", **facts: object) -> HitFacts:
    values: dict[str, object] = {"user_agent": CHROME, "ip": HOME, "after_delivery": 3600.0}
    values.update(facts)
    return HitFacts(kind, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("facts", "classification", "reason"),
    [
        pytest.param(hit(), HUMAN, "no machine signal", id="a browser an hour later"),
        pytest.param(hit("open", user_agent=OUTLOOK), HUMAN, "no machine", id="Outlook opens"),
        pytest.param(hit("open", user_agent=IPHONE), HUMAN, "no machine", id="iPhone Mail"),
        pytest.param(hit(honeypot=True), SCANNER, "honeypot", id="honeypot link"),
        pytest.param(hit(method="HEAD"), SCANNER, "HEAD request", id="HEAD request"),
        pytest.param(hit(user_agent=""), SCANNER, "no user agent", id="no user agent"),
        pytest.param(
            hit("open", user_agent="Mozilla/5.0"),
            PROXY,
            "Apple Mail Privacy Protection",
            id="Apple MPP agent",
        ),
        pytest.param(
            hit("open", user_agent=IPHONE, ip="17.58.101.0"),
            PROXY,
            "IP range: Apple Mail Privacy Protection",
            id="Apple MPP network",
        ),
        pytest.param(
            hit("click", user_agent=CHROME, ip="17.58.101.0"),
            HUMAN,
            "no machine",
            id="a click from Apple's network is not MPP",
        ),
        pytest.param(
            hit(
                "open",
                user_agent="Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 "
                "(via ggpht.com GoogleImageProxy)",
            ),
            PROXY,
            "Gmail image proxy",
            id="Gmail image proxy agent",
        ),
        pytest.param(
            hit("open", ip="66.249.84.0"), PROXY, "IP range: Gmail", id="Gmail proxy network"
        ),
        pytest.param(
            hit("open", user_agent="YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy"),
            PROXY,
            "Yahoo",
            id="Yahoo proxy",
        ),
        pytest.param(
            hit(user_agent="Mozilla/5.0 (compatible; Microsoft SafeLinks)"),
            SCANNER,
            "Microsoft Safe Links",
            id="Safe Links agent",
        ),
        pytest.param(
            hit(user_agent=CHROME + " BingPreview/1.0b"),
            SCANNER,
            "Microsoft Safe Links",
            id="BingPreview",
        ),
        pytest.param(
            hit(ip="40.107.22.0"), SCANNER, "Exchange Online Protection", id="EOP network"
        ),
        pytest.param(hit(ip="2a01:111:f403::"), SCANNER, "Exchange Online", id="EOP network, IPv6"),
        pytest.param(hit(ip="2001:db8:1::"), HUMAN, "no machine", id="IPv6, not listed"),
        pytest.param(
            hit(user_agent="Mozilla/5.0 Proofpoint URL Defense"),
            SCANNER,
            "Proofpoint",
            id="Proofpoint",
        ),
        pytest.param(hit(user_agent="Mimecast/1.0"), SCANNER, "Mimecast", id="Mimecast"),
        pytest.param(
            hit(user_agent="Barracuda Sentinel (EE)"), SCANNER, "Barracuda", id="Barracuda"
        ),
        pytest.param(hit(ip="209.222.82.0"), SCANNER, "Barracuda", id="Barracuda network"),
        pytest.param(hit(user_agent="curl/8.5.0"), SCANNER, "HTTP library", id="curl"),
        pytest.param(
            hit(user_agent="python-requests/2.32.3"), SCANNER, "HTTP library", id="requests"
        ),
        pytest.param(
            hit(user_agent="Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot)"),
            SCANNER,
            "bot",
            id="Googlebot",
        ),
        pytest.param(
            hit(user_agent="Mozilla/5.0 (Linux; Android 10; CUBOT X30) Chrome/120.0 Mobile"),
            HUMAN,
            "no machine",
            id="a Cubot phone is not a bot",
        ),
        pytest.param(
            hit(after_delivery=0.4), SCANNER, "clicked 0.4 s after delivery", id="click at once"
        ),
        pytest.param(
            hit(after_delivery=-3.0), SCANNER, "clicked 0.0 s after delivery", id="clock skew"
        ),
        pytest.param(hit(after_delivery=2.0), HUMAN, "no machine", id="click at 2 s"),
        pytest.param(hit(after_delivery=None), HUMAN, "no machine", id="aggregate: no timing"),
        pytest.param(
            hit("open", after_delivery=0.1), HUMAN, "no machine", id="timing is for clicks"
        ),
    ],
)
def test_classify(facts: HitFacts, classification: str, reason: str) -> None:
    """The first rule that fires decides, and the reason names it."""
    verdict = classify(facts, RULES)
    assert verdict.classification == classification
    assert reason in verdict.reason


def test_rule_order_honeypot_beats_everything() -> None:
    """A honeypot click from a browser an hour later is still a scanner's."""
    assert classify(hit(honeypot=True, method="HEAD"), RULES).reason.startswith("followed")


def test_scanner_delay_is_configurable() -> None:
    """NURTURE_SCANNER_CLICK_SECONDS moves the boundary."""
    assert classify(hit(after_delivery=4.0), Rules(scanner_click_seconds=5)).classification == (
        SCANNER
    )
    assert classify(hit(after_delivery=0.5), Rules(scanner_click_seconds=0)).classification == (
        HUMAN
    )


HUMAN_VERDICT = Verdict(HUMAN, "no machine signal")
ME = (HOME, CHROME)
GATEWAY = ("40.107.22.0", CHROME)


def click(key: str, at: float, url: str | None, client: tuple[str | None, str] = ME) -> Click:
    return Click(key, at, client, url, HUMAN_VERDICT)


@pytest.mark.parametrize(
    ("clicks", "unmasked"),
    [
        pytest.param([click("a", 0, "https://x/1")], {}, id="one click"),
        pytest.param(
            [click("a", 0, "https://x/1"), click("b", 30, "https://x/2")],
            {},
            id="two links 30 s apart: a person",
        ),
        pytest.param(
            [click("a", 0, "https://x/1"), click("b", 0.2, "https://x/1")],
            {},
            id="the same link twice at once: a double click",
        ),
        pytest.param(
            [click("a", 0, "https://x/1"), click("b", 0.3, "https://x/2")],
            {"a": "2 links clicked within 1 s", "b": "2 links clicked within 1 s"},
            id="all links within a second",
        ),
        pytest.param(
            [
                click("a", 0, "https://x/1", GATEWAY),
                click("b", 0.5, "https://x/2", ME),
                click("c", 0.9, "https://x/3", ME),
            ],
            {k: "3 links clicked within 1 s" for k in "abc"},
            id="a burst from several addresses",
        ),
        pytest.param(
            [click("h", 10, None), click("a", 40, "https://x/1")],
            {"a": "same client followed the honeypot link"},
            id="the honeypot's client, later",
        ),
        pytest.param(
            [click("h", 10, None, GATEWAY), click("a", 40, "https://x/1", ME)],
            {},
            id="another client than the honeypot's",
        ),
        pytest.param(
            [click("h", 0, None), click("a", 3600, "https://x/1")],
            {},
            id="the honeypot's client, an hour later",
        ),
    ],
)
def test_correlate(clicks: list[Click], unmasked: dict[str, str]) -> None:
    """Per-message rules unmask human-looking clicks; nothing else changes."""
    changed = correlate(clicks, RULES)
    assert {key: verdict.reason for key, verdict in changed.items()} == unmasked
    assert all(verdict.classification == SCANNER for verdict in changed.values())


def test_correlate_leaves_machine_verdicts_alone() -> None:
    """A click already classified a proxy keeps its own reason."""
    proxy = Click("p", 0.1, ME, "https://x/2", Verdict(PROXY, "user agent: x"))
    assert correlate([click("a", 0, "https://x/1"), proxy], RULES).keys() == {"a"}
