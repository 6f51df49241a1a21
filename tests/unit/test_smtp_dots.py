"""DATA's transparency rule (RFC 5321 §4.5.2), as the SMTP transport writes the content."""

from __future__ import annotations

import re

import pytest

from nurture.mail.smtp import _dot_stuffed


@pytest.mark.parametrize(
    ("content", "on_the_wire"),
    [
        (b"Hello\r\n", b"Hello\r\n.\r\n"),
        (b"Hello", b"Hello\r\n.\r\n"),  # the last line ended for the terminator
        (b".starts with a dot\r\n", b"..starts with a dot\r\n.\r\n"),
        (b"a\r\n.\r\nb\r\n", b"a\r\n..\r\nb\r\n.\r\n"),  # a lone dot never ends it early
        (b"a\r\n..two\r\n", b"a\r\n...two\r\n.\r\n"),
        (b"a.b\r\nc . d\r\n", b"a.b\r\nc . d\r\n.\r\n"),  # only at the start of a line
        (b"bare\n.lf\n", b"bare\n..lf\n\r\n.\r\n"),  # as smtplib stuffs a bare LF line
    ],
)
def test_dot_stuffing(content: bytes, on_the_wire: bytes) -> None:
    assert _dot_stuffed(content) == on_the_wire


@pytest.mark.parametrize("content", [b"x\r\n.y\r\n" * 3, b".\r\n.\r\n", b"\r\n.\r\n", b"..."])
def test_same_as_smtplib(content: bytes) -> None:
    """What smtplib's `data()` would have sent for the same bytes."""
    stuffed = re.sub(rb"(?m)^\.", b"..", content)
    expected = (stuffed if stuffed.endswith(b"\r\n") else stuffed + b"\r\n") + b".\r\n"
    assert _dot_stuffed(content) == expected
