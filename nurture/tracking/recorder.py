"""What the pixel and redirect handlers call: verify the token, buffer the hit, answer.

No database, no scoring, no classification on this path: a signature check and one
append to the buffer. A buffer failure is logged and never fails the request (the
person's click must work); everything else happens in the drainer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from nurture.clock import Clock
from nurture.consent.tokens import InvalidToken, Tokens
from nurture.tracking.buffer import HitBuffer
from nurture.tracking.hits import MAX_USER_AGENT, Hit, new_hit_id, truncate_ip
from nurture.tracking.links import BadPayload, ClickTarget, parse_click, parse_open

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Request:
    method: str
    ip: str | None
    user_agent: str


@dataclass
class HitRecorder:
    tokens: Tokens
    buffer: HitBuffer
    clock: Clock  # the schedule's clock: when the event happened
    wall_clock: Clock  # compared with the delivery time

    def open(self, token: str, request: Request) -> None:
        try:
            payload = self.tokens.verify("open", token)
            parse_open(payload)
        except (InvalidToken, BadPayload):
            return  # the pixel answers the same whatever the token
        self._append("open", payload, request)

    def click(self, token: str, request: Request) -> ClickTarget | None:
        """The verified target, or None: the caller refuses to redirect."""
        try:
            payload = self.tokens.verify("click", token)
            target = parse_click(payload)
        except (InvalidToken, BadPayload):
            return None
        self._append("click", payload, request)
        return target

    def _append(self, kind: str, payload: list[Any], request: Request) -> None:
        hit = Hit(
            id=new_hit_id(),
            kind=kind,
            payload=payload,
            method=request.method,
            ip=truncate_ip(request.ip),
            user_agent=request.user_agent[:MAX_USER_AGENT],
            wall=self.wall_clock.now().timestamp(),
            at=self.clock.now().timestamp(),
        )
        try:
            self.buffer.append(hit)
        except Exception:
            log.exception("a tracking hit was lost: the hit buffer refused it")
