"""What can go wrong when sending, as the send actor needs to tell it apart.

The class decides what happens next: retry later, suppress the address, or pause the
campaign. Messages carry the server's reply with e-mail addresses redacted, because
these exceptions end up in logs and in the message row's error column.
"""

from __future__ import annotations

import re

_ADDRESS = re.compile(r"<?[^\s<>\"'(),;:]+@[^\s<>\"'(),;:]+>?")
_ENHANCED = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
# RFC 3463 5.1.7/5.1.8 are about *our* sender address: suppressing the lead would be wrong,
# and every other send would fail the same way, so they pause the campaign like policy.
_SENDER_SUBJECTS = {"7", "8"}


def redact(text: str) -> str:
    """Replace anything that looks like an e-mail address (servers echo the recipient)."""
    return _ADDRESS.sub("<address>", text)


class SendError(Exception):
    """A message could not be handed over; ``code`` is the SMTP reply code when known."""

    def __init__(self, response: str, code: int | None = None) -> None:
        self.code = code
        self.response = redact(response)
        super().__init__(f"{code} {self.response}" if code is not None else self.response)


class TransientSendError(SendError):
    """4xx reply, connection error or timeout: retry with backoff."""


class UnknownOutcome(TransientSendError):
    """The connection failed after the message was handed over, before the server's reply:
    it may have been accepted. Senders that promise at-least-once retry it like a 4xx; the
    campaign sender promises at-most-once, so its row ends `unknown` instead."""


class HardBounce(SendError):
    """5xx with enhanced status 5.1.x: the address does not exist; fail and suppress it."""


class PolicyRejection(SendError):
    """5xx with 5.7.x (policy, authentication, DMARC): fail and pause the campaign."""


class PermanentSendError(SendError):
    """Any other 5xx: this message failed, nothing to learn about the address."""


class HeaderInjectionError(ValueError):
    """Header text contains CR, LF, NUL, another control character or ``=?``: refused."""


def classify(code: int, response: str) -> SendError:
    """Map an SMTP reply to the error class the caller acts on."""
    if not 500 <= code < 600:  # 4xx, or a reply that makes no sense: try again later
        return TransientSendError(response, code)
    match = _ENHANCED.search(response)
    if match and match.group(1) == "5":
        subject, detail = match.group(2), match.group(3)
        if subject == "1" and detail not in _SENDER_SUBJECTS:
            return HardBounce(response, code)
        if subject in {"1", "7"}:
            return PolicyRejection(response, code)
    return PermanentSendError(response, code)
