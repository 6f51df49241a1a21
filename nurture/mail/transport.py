"""Transports: hand built message bytes to an SMTP server or to the outbox folder.

`transport_from_url` is the composition root's single choice (``NURTURE_SMTP_URL``).
Both raise the `nurture.mail.errors` classes, which tell the send actor what to do next.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from pathlib import Path
from typing import Protocol

from nurture.mail.errors import TransientSendError
from nurture.mail.smtp import SmtpTransport

__all__ = ["OutboxTransport", "SmtpTransport", "Transport", "transport_from_url"]

_MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*<([^>\r\n]{1,200})>", re.IGNORECASE | re.MULTILINE)
_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]")


class Transport(Protocol):
    def send(self, envelope_from: str, recipient: str, data: bytes) -> str:
        """Deliver one message; return the server's reply, e.g. ``250 2.0.0 Ok: queued``."""
        ...

    def close(self) -> None:
        """Release the calling thread's connection, if any."""
        ...


class OutboxTransport:
    """Writes each message as ``<outbox>/<Message-ID>.eml`` (development, demo, tests).

    The name comes from the Message-ID, which is derived from the message row: a resend
    replaces the file instead of adding a duplicate. Written to a temporary name and
    renamed, so a reader never sees half a message.
    """

    def __init__(self, outbox_dir: Path) -> None:
        self.outbox_dir = outbox_dir

    def send(self, envelope_from: str, recipient: str, data: bytes) -> str:
        name = _file_name(data)
        temporary = self.outbox_dir / f".{uuid.uuid4().hex}.tmp"
        try:
            self.outbox_dir.mkdir(parents=True, exist_ok=True)
            temporary.write_bytes(data)
            os.replace(temporary, self.outbox_dir / name)
        except OSError as exc:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
            raise TransientSendError(f"cannot write to the outbox: {exc.strerror}") from exc
        return f"250 written to {self.outbox_dir.name}/{name}"

    def close(self) -> None:
        return None


def _file_name(data: bytes) -> str:
    head = data.split(b"\r\n\r\n", 1)[0]
    match = _MESSAGE_ID.search(head)
    stem = _UNSAFE.sub("_", match.group(1).decode("ascii", "replace")) if match else ""
    return (stem.lstrip(".") or uuid.uuid4().hex) + ".eml"


def transport_from_url(url: str | None, outbox_dir: Path, timeout: float) -> Transport:
    """SMTP for ``smtp://``, ``smtps://`` and ``smtp+starttls://``; the outbox when unset."""
    if not url:
        return OutboxTransport(outbox_dir)
    return SmtpTransport(url, timeout=timeout)
