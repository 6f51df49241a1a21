"""Header text checks, mailbox parsing and domains: what may reach a header and how."""

from __future__ import annotations

import base64
import quopri

import pytest

from nurture.mail.errors import HeaderInjectionError
from nurture.mail.headers import (
    check_address,
    check_header_text,
    domain_of,
    encoded_words,
    parse_mailbox,
)


@pytest.mark.parametrize(
    "value",
    [
        "Hello\r\nBcc: victim@x.example",
        "Hello\nBcc: victim@x.example",
        "Hello\rBcc: victim@x.example",
        "nul\x00byte",
        "=?utf-8?q?forged?=",
        "vertical\x0btab",
        "form\x0cfeed",
        "next\x85line",
        "line\u2028separator",
        "escape\x1b[31m",
    ],
)
def test_check_header_text_refuses(value: str) -> None:
    """Line breaks, NUL, other controls and encoded-word starts are refused, not cleaned."""
    with pytest.raises(HeaderInjectionError) as caught:
        check_header_text("Subject", value)
    assert "victim" not in str(caught.value)


@pytest.mark.parametrize(
    "value", ["Hello, world", "tab\there", "50% = half?", "¿Qué tal? 👋", "a ?= b", ""]
)
def test_check_header_text_accepts(value: str) -> None:
    """Ordinary text, including non-ASCII and lone `=`/`?`, passes unchanged."""
    assert check_header_text("Subject", value) == value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Acme <hello@acme.example>", ("Acme", "hello@acme.example")),
        ('"Acme, Inc." <hello@acme.example>', ("Acme, Inc.", "hello@acme.example")),
        ('"Say \\"hi\\"" <a@b.example>', ('Say "hi"', "a@b.example")),
        ("hello@acme.example", ("", "hello@acme.example")),
        ("  José Müller <josé@bücher.example> ", ("José Müller", "josé@bücher.example")),
        ("<bare@acme.example>", ("", "bare@acme.example")),
    ],
)
def test_parse_mailbox(text: str, expected: tuple[str, str]) -> None:
    """Sender and reply-to as written in campaign files."""
    assert parse_mailbox(text) == expected


@pytest.mark.parametrize(
    "text", ["not an address", "a@b@c", "Acme <>", "Acme <a b@c.example>", "a@", "@b.example"]
)
def test_parse_mailbox_refuses_nonsense(text: str) -> None:
    """Anything that is not one mailbox is an error (email.utils would guess)."""
    with pytest.raises(ValueError, match="address"):
        parse_mailbox(text)


@pytest.mark.parametrize(
    "text", ["Acme\r\nBcc: v@x.example <a@b.example>", "a@b.example\r\n", "a@b.example\nBcc: v@x"]
)
def test_mailbox_injection_refused(text: str) -> None:
    """A line break anywhere in an address is an injection attempt."""
    with pytest.raises(HeaderInjectionError):
        parse_mailbox(text)
    with pytest.raises(HeaderInjectionError):
        check_address(text)


@pytest.mark.parametrize(
    ("address", "domain"),
    [
        ("Acme <hello@Acme.Example>", "acme.example"),
        ("bob@bücher.example", "xn--bcher-kva.example"),
        ("user@sub.domain.example", "sub.domain.example"),
    ],
)
def test_domain_of(address: str, domain: str) -> None:
    """Lower-case ASCII domain, IDNs as A-labels (for Message-IDs)."""
    assert domain_of(address) == domain


@pytest.mark.parametrize(
    "text", ["café", "Ünïcödé " * 30, "日本語のテキスト" * 20, "👋 emoji " * 15, "a" * 300]
)
def test_encoded_words_are_short_and_whole(text: str) -> None:
    """Each encoded word fits RFC 2047's 75 characters and never splits a character."""
    words = encoded_words(text, 60)
    assert len(words[0]) <= 61
    assert all(len(word) <= 76 for word in words)
    assert all(word.startswith(" =?utf-8?") and word.endswith("?=") for word in words)
    assert "".join(decode_word(word) for word in words) == text


def decode_word(word: str) -> str:
    """Decode one encoded word on its own: fails if a character was split across two."""
    _charset, encoding, payload = word.strip()[2:-2].split("?")
    data = payload.encode()
    raw = base64.b64decode(data) if encoding == "b" else quopri.decodestring(data, header=True)
    return raw.decode("utf-8")
