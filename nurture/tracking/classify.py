"""Who opened or clicked: a person (`human`), a privacy `proxy`, or a security `scanner`.

Pure functions over plain facts, rules checked in order; the first that fires gives the
classification and its reason. Per hit:

1. the hidden honeypot link (only machines follow a link nobody can see) → scanner
2. a HEAD request (browsers send GET; link checkers probe with HEAD) → scanner
3. the user agent (`USER_AGENTS`: Apple MPP, Gmail and Yahoo proxies, Microsoft,
   Proofpoint, Mimecast, Barracuda and other gateways, bots and HTTP libraries)
4. the truncated IP address in a known network (`known_networks.txt`)
5. a click within `scanner_click_seconds` of delivery (default 2 s): gateways follow links
   as the mail arrives, before anybody could read it → scanner

Per message (`correlate`), over the message's clicks so far:

6. two or more different links clicked within `burst_seconds` (1 s) — in particular all
   links of the message at once: no person clicks that fast → scanner
7. clicks from the same client (truncated IP and user agent) as a honeypot click, within
   `honeypot_seconds`: the client that followed the hidden link is a machine → scanner
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from nurture.tracking.networks import KnownNetwork

HUMAN, PROXY, SCANNER = "human", "proxy", "scanner"


@dataclass(frozen=True)
class Verdict:
    classification: str
    reason: str

    @property
    def human(self) -> bool:
        return self.classification == HUMAN


NO_SIGNAL = Verdict(HUMAN, "no machine signal")


@dataclass(frozen=True)
class AgentRule:
    pattern: re.Pattern[str]
    classification: str
    reason: str


def _rule(pattern: str, classification: str, reason: str) -> AgentRule:
    return AgentRule(re.compile(pattern, re.IGNORECASE), classification, reason)


# Order matters: the first match wins. Patterns are for agents these services announce
# (or, for Apple, the bare "Mozilla/5.0" its image proxy sends and no real browser does).
USER_AGENTS: tuple[AgentRule, ...] = (
    _rule(r"^\s*$", SCANNER, "no user agent"),
    _rule(r"GoogleImageProxy|ggpht\.com", PROXY, "Gmail image proxy"),
    _rule(r"YahooMailProxy|AOLMailProxy", PROXY, "Yahoo/AOL mail proxy"),
    _rule(r"^Mozilla/5\.0$", PROXY, "Apple Mail Privacy Protection"),
    _rule(r"safe ?links|BingPreview", SCANNER, "Microsoft Safe Links"),
    _rule(
        r"Exchange Online Protection|Microsoft Office (Existence|Protocol) Discovery",
        SCANNER,
        "Microsoft Exchange Online Protection",
    ),
    _rule(r"Proofpoint", SCANNER, "Proofpoint URL Defense"),
    _rule(r"Mimecast", SCANNER, "Mimecast URL Protect"),
    _rule(r"Barracuda", SCANNER, "Barracuda link protection"),
    _rule(
        r"IronPort|Forcepoint|Symantec|Trend ?Micro|Sophos|FireEye|Trellix|Cortex",
        SCANNER,
        "mail security gateway",
    ),
    _rule(
        r"curl/|Wget/|python-requests|python-urllib|aiohttp|httpx|Go-http-client|Java/|"
        r"okhttp|libwww-perl|node-fetch|axios/|Scrapy|HeadlessChrome|PhantomJS",
        SCANNER,
        "HTTP library or headless browser",
    ),
    _rule(
        r"(?<!cu)bot\b|bot/|crawler|spider|facebookexternalhit|WhatsApp|preview|\+https?://",
        SCANNER,
        "bot or link preview",
    ),
)


@dataclass(frozen=True)
class Rules:
    scanner_click_seconds: float = 2.0
    burst_seconds: float = 1.0
    honeypot_seconds: float = 60.0
    networks: tuple[KnownNetwork, ...] = ()
    agents: tuple[AgentRule, ...] = field(default=USER_AGENTS, repr=False)


@dataclass(frozen=True)
class HitFacts:
    kind: str  # open | click
    method: str = "GET"
    user_agent: str = ""
    ip: str | None = None  # truncated
    # Seconds between delivery and the hit; None when unknown (aggregate hits).
    after_delivery: float | None = None
    honeypot: bool = False


def classify(hit: HitFacts, rules: Rules) -> Verdict:
    """The first per-hit rule that fires, else human."""
    if hit.honeypot:
        return Verdict(SCANNER, "followed the hidden honeypot link")
    if hit.method.upper() == "HEAD":
        return Verdict(SCANNER, "HEAD request")
    found = _by_agent(rules.agents, hit.user_agent) or _by_network(rules.networks, hit.kind, hit.ip)
    if found is not None:
        return found
    limit = rules.scanner_click_seconds
    if hit.kind == "click" and hit.after_delivery is not None and hit.after_delivery < limit:
        return Verdict(SCANNER, f"clicked {max(hit.after_delivery, 0):.1f} s after delivery")
    return NO_SIGNAL


# Agents and addresses repeat from hit to hit (one client clicks several links, a
# gateway scans many mails): the verdict for a value is computed once.
@lru_cache(maxsize=4096)
def _by_agent(agents: tuple[AgentRule, ...], user_agent: str) -> Verdict | None:
    for agent in agents:
        if agent.pattern.search(user_agent):
            return Verdict(agent.classification, f"user agent: {agent.reason}")
    return None


@lru_cache(maxsize=4096)
def _by_network(networks: tuple[KnownNetwork, ...], kind: str, ip: str | None) -> Verdict | None:
    for known in networks:
        if known.matches(kind, ip):
            return Verdict(known.classification, f"IP range: {known.reason}")
    return None


@dataclass(frozen=True)
class Click:
    """One click on one message, already classified on its own."""

    key: object  # the caller's handle: a hit id or an event id
    at: float  # epoch seconds
    client: tuple[str | None, str]  # (truncated IP, user agent)
    url: str | None  # None: the honeypot
    verdict: Verdict


def correlate(clicks: Sequence[Click], rules: Rules) -> dict[object, Verdict]:
    """New verdicts for human clicks that the message's other clicks unmask.

    Linear after sorting: a message clicked thousands of times (by a loop, or an
    attacker) must not make the drainer quadratic."""
    changed = _bursts(clicks, rules.burst_seconds)
    for key in _honeypot_clients(clicks, rules.honeypot_seconds):
        changed.setdefault(key, Verdict(SCANNER, "same client followed the honeypot link"))
    human = {click.key for click in clicks if click.verdict.human}
    return {key: verdict for key, verdict in changed.items() if key in human}


def _bursts(clicks: Sequence[Click], window: float) -> dict[object, Verdict]:
    """Clicks with another link of the message clicked within `window` either side."""
    ordered = sorted((click for click in clicks if click.url), key=lambda click: click.at)
    found: dict[object, Verdict] = {}
    inside: Counter[str] = Counter()
    low = high = 0
    for click in ordered:
        while high < len(ordered) and ordered[high].at <= click.at + window:
            inside[ordered[high].url or ""] += 1
            high += 1
        while ordered[low].at < click.at - window:
            leaving = ordered[low].url or ""
            inside[leaving] -= 1
            if not inside[leaving]:
                del inside[leaving]
            low += 1
        if len(inside) >= 2:
            found[click.key] = Verdict(SCANNER, f"{len(inside)} links clicked within {window:g} s")
    return found


def _honeypot_clients(clicks: Sequence[Click], window: float) -> Iterable[object]:
    traps: dict[tuple[str | None, str], list[float]] = {}
    for click in clicks:
        if click.url is None:
            traps.setdefault(click.client, []).append(click.at)
    for click in clicks:
        times = traps.get(click.client, ()) if click.url else ()
        if any(abs(at - click.at) <= window for at in times):
            yield click.key
