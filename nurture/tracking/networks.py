"""Known proxy and scanner networks (``known_networks.txt``), parsed and checked once."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DEFAULT_FILE = Path(__file__).with_name("known_networks.txt")
KINDS = frozenset({"open", "click"})
CLASSIFICATIONS = frozenset({"proxy", "scanner"})
# Hits carry truncated addresses: a narrower network could never match reliably.
_LONGEST_PREFIX = {4: 24, 6: 48}

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class NetworksError(ValueError):
    """A line of the networks file is malformed; the message names file and line."""


@dataclass(frozen=True)
class KnownNetwork:
    network: Network
    kinds: frozenset[str]
    classification: str
    reason: str

    def matches(self, kind: str, ip: str | None) -> bool:
        if ip is None or kind not in self.kinds:
            return False
        try:
            return ipaddress.ip_address(ip) in self.network
        except ValueError:
            return False


def parse_networks(text: str, source: str = "<networks>") -> tuple[KnownNetwork, ...]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0].strip()
        if content:
            found.append(_parse_line(content, f"{source}:{number}"))
    return tuple(found)


def _parse_line(content: str, where: str) -> KnownNetwork:
    parts = content.split(None, 3)
    if len(parts) < 4:
        raise NetworksError(f"{where}: expected NETWORK APPLIES-TO CLASSIFICATION REASON")
    raw_network, raw_kinds, classification, reason = parts
    try:
        network = ipaddress.ip_network(raw_network)
    except ValueError as error:
        raise NetworksError(f"{where}: {error}") from None
    if network.prefixlen > _LONGEST_PREFIX[network.version]:
        limit = _LONGEST_PREFIX[network.version]
        raise NetworksError(f"{where}: {network} is narrower than /{limit}, the truncation")
    kinds = frozenset(raw_kinds.split(","))
    if not kinds <= KINDS:
        raise NetworksError(f"{where}: applies to {raw_kinds!r}; use open, click or open,click")
    if classification not in CLASSIFICATIONS:
        raise NetworksError(f"{where}: classification {classification!r}; use proxy or scanner")
    return KnownNetwork(network, kinds, classification, reason)


@cache
def load_networks(path: Path = DEFAULT_FILE) -> tuple[KnownNetwork, ...]:
    return parse_networks(path.read_text(encoding="utf-8"), str(path))
