"""One open or click as the web process saw it, and its line in the hit buffer.

The web process writes only what is needed later: the verified token payload, the
method, a truncated IP address (the full one never leaves the request), the user agent
and two instants. Classification happens later, in the drainer.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
from dataclasses import dataclass
from typing import Any

MAX_USER_AGENT = 512  # longer agents are padding or attacks; 512 keeps every real one
_ENCODER = json.JSONEncoder(separators=(",", ":"))  # built once: this runs per request


class BadHit(ValueError):
    """A buffer line that is not a hit (a torn write after a power loss)."""


@dataclass(frozen=True)
class Hit:
    id: str  # random; the drainer's idempotency key
    kind: str  # "open" | "click"
    payload: list[Any]  # the token's verified payload (see nurture.tracking.links)
    method: str  # GET | HEAD
    ip: str | None  # truncated: /24 for IPv4, /48 for IPv6
    user_agent: str
    wall: float  # epoch seconds on the wall clock: compared with the delivery time
    at: float  # epoch seconds on the schedule's clock: when the event happened

    def encode(self) -> bytes:
        record = [self.id, self.kind, self.payload, self.method, self.ip, self.user_agent]
        return _ENCODER.encode([*record, self.wall, self.at]).encode()


def new_hit_id() -> str:
    return secrets.token_hex(12)


def decode(raw: bytes | str) -> Hit:
    try:
        hit_id, kind, payload, method, ip, agent, wall, at = json.loads(raw)
        hit = Hit(
            str(hit_id),
            str(kind),
            list(payload),
            str(method),
            ip,
            str(agent),
            float(wall),
            float(at),
        )
    except (ValueError, TypeError) as error:
        raise BadHit(f"not a hit: {error}") from None
    if hit.kind not in {"open", "click"}:
        raise BadHit(f"not a hit: unknown kind {hit.kind!r}")
    return hit


def truncate_ip(address: str | None) -> str | None:
    """The network part only: enough to recognise a proxy's range, not a household."""
    if not address:
        return None
    octets = address.split(".")
    if len(octets) == 4 and all(o.isdigit() and o == str(int(o)) and int(o) < 256 for o in octets):
        return f"{octets[0]}.{octets[1]}.{octets[2]}.0"  # the common case, without ipaddress
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)
