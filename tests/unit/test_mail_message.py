"""Hand-built MIME: parses with no defects and every header and body round-trips exactly."""

from __future__ import annotations

import base64
import email.policy
import quopri
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest

from nurture.mail.errors import HeaderInjectionError
from nurture.mail.message import OutgoingMail, build_mime

DATE = datetime(2024, 3, 5, 9, 30, tzinfo=timezone(timedelta(hours=1)))
BASE = OutgoingMail(
    sender="Acme <hello@acme.example>",
    to="bob@example.com",
    subject="Welcome to Acme",
    html="<html><body><p>Hello</p></body></html>",
    text="Hello\n",
    message_id="<m-123.hello.welcome@acme.example>",
    date=DATE,
)

LONG_WORD = "x" * 950
LONG_NAME = "José Müller-Łukasiewicz de la Crúz y Martínez-Hernández Asociados"
LONG_ASCII_NAME = "The Very Long Name Of A Marketing Department At Acme Corp Ltd"
CASES: dict[str, dict[str, Any]] = {
    "ascii": {},
    "latin subject": {"subject": "¡Bienvenida, Zoë! — café & crème"},
    "emoji subject": {"subject": "👋 Hi there 🎉"},
    "cjk subject": {"subject": "ようこそ、アクメへ。" * 8},
    "long ascii subject": {"subject": "How teams like yours use Acme " * 7 + "today"},
    "long latin subject": {"subject": "Ünïcödé in a subject that is long enough to fold " * 4},
    "unbreakable subject": {"subject": LONG_WORD},
    "double spaces": {"subject": "a  b   c\td"},
    "specials in name": {"sender": '"Acme, Inc. (EU)" <hello@acme.example>'},
    "quotes in name": {"sender": '"Ana \\"la jefa\\" López" <ana@acme.example>'},
    "non-ascii name": {"sender": "José Müller-Łukasiewicz <jose@acme.example>"},
    "long mixed name": {"sender": f"{LONG_NAME} <a@acme.example>"},
    "mixed name specials": {"sender": "Zoë (EU), Ltd. & Søn <a@acme.example>"},
    "long ascii name": {"sender": f"{LONG_ASCII_NAME} <a@acme.example>"},
    "backslash name": {"sender": '"Back\\\\slash" <b@acme.example>'},
    "idn recipient": {"to": "bob@bücher.example"},
    "reply-to": {"reply_to": "Sales Team <sales@acme.example>"},
    "1000-char line": {"text": "y" * 1000 + "\nend\n", "html": "<p>" + "z" * 1000 + "</p>"},
    "qp specials": {"text": "a = b\n.leading dot\nFrom the start\ntrailing space \n\ttab\n"},
    "line endings": {"text": "one\r\ntwo\rthree\nfour"},
    "cyrillic body": {"text": "Привет, как дела? " * 40, "html": "<p>" + "Привет! " * 40 + "</p>"},
    "empty text": {"text": ""},
    "unsubscribe": {
        "list_unsubscribe": "https://mail.acme.example/u/eyJsIjoxfQ.Zk9x.abc-_DEF?x=1&y=2",
        "list_unsubscribe_mailto": "mailto:unsubscribe@acme.example?subject=unsubscribe",
    },
    "extra header": {"extra_headers": {"Auto-Submitted": "auto-generated", "X-Note": "Ünï"}},
}  # fmt: skip


def parse(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=email.policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


@pytest.mark.parametrize("changes", CASES.values(), ids=CASES.keys())
def test_round_trip_without_defects(changes: dict[str, Any]) -> None:
    """What we build is what any standards-following reader gets back, defect-free."""
    mail = replace(BASE, **changes)
    raw = build_mime(mail)
    message = parse(raw)

    assert message.defects == []
    for part in message.walk():
        assert part.defects == []
        for name, value in part.items():
            assert value.defects == (), name
    assert str(message["Subject"]) == mail.subject
    sender = message["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == parse_sender(mail.sender)
    assert message["Message-ID"] == mail.message_id
    assert message["Date"].datetime == mail.date
    assert message["MIME-Version"] == "1.0"
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None
    assert html is not None
    assert lf(text.get_content()) == lf(mail.text)
    assert lf(html.get_content()) == lf(mail.html)


def parse_sender(sender: str) -> tuple[str, str]:
    name, _, address = sender.rpartition(" <")
    if name.startswith('"'):
        name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return name, address.rstrip(">")


@pytest.mark.parametrize("changes", CASES.values(), ids=CASES.keys())
def test_lines_and_structure(changes: dict[str, Any]) -> None:
    """CRLF only, header lines within 78 characters, every line within 998; text first."""
    raw = build_mime(replace(BASE, **changes))
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert b"\r" not in raw.replace(b"\r\n", b"")
    head, _, _ = raw.partition(b"\r\n\r\n")
    assert all(len(line) <= 78 for line in head.split(b"\r\n") if not line.startswith(b"List-"))
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert raw.isascii()
    message = parse(raw)
    assert message.get_content_type() == "multipart/alternative"
    kinds = [part.get_content_type() for part in message.iter_parts()]
    assert kinds == ["text/plain", "text/html"]


def test_idn_recipient_written_as_a_labels() -> None:
    """An IDN domain stays 7-bit in the To header."""
    message = parse(build_mime(replace(BASE, to="bob@bücher.example")))
    assert message["To"].addresses[0].addr_spec == "bob@xn--bcher-kva.example"


def test_non_ascii_local_part_is_utf8_header() -> None:
    """A non-ASCII mailbox can only travel as RFC 6532 UTF-8 (SMTPUTF8): it stays raw."""
    raw = build_mime(replace(BASE, to="josé@example.com"))
    assert "To: josé@example.com\r\n".encode() in raw


def test_very_long_non_ascii_name_follows_rfc_2047() -> None:
    """A name too long for one encoded word is split into adjacent words that RFC 2047
    readers join without the space between them (Python's parser inserts one)."""
    name = "Ωμέγα Αλφάβητο Εταιρεία Συμβούλων Ελλάδας Ανώνυμη Εταιρεία"
    raw = build_mime(replace(BASE, sender=f"{name} <a@acme.example>"))
    head = raw.partition(b"\r\n\r\n")[0].decode()
    field = head.split("From:", 1)[1].split("\r\nTo:", 1)[0]
    words = re.findall(r"=\?utf-8\?([bq])\?([^?]*)\?=", field)
    assert len(words) > 1
    assert "".join(decode_word(kind, payload) for kind, payload in words) == name


def decode_word(kind: str, payload: str) -> str:
    data = payload.encode()
    raw = base64.b64decode(data) if kind == "b" else quopri.decodestring(data, header=True)
    return raw.decode("utf-8")


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Hello = world\n.dot\ntrailing \n", "7bit"),  # ASCII goes as it is
        ("y" * 998 + "\nend", "7bit"),
        ("y" * 999 + "\nend", "quoted-printable"),  # too long a line for every relay
        ("y" * 999, "quoted-printable"),
        ("nul \0 byte", "quoted-printable"),
        ("Café crème " * 30, "quoted-printable"),  # Latin text stays readable
        ("Привет, как дела? " * 30, "base64"),  # quoted-printable would be far longer
    ],
)
def test_transfer_encodings(text: str, encoding: str) -> None:
    raw = build_mime(replace(BASE, text=text))
    part = parse(raw).get_body(("plain",))
    assert part["Content-Transfer-Encoding"] == encoding  # type: ignore[index]
    assert lf(part.get_content()) == text  # type: ignore[union-attr]
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


def test_list_unsubscribe_headers() -> None:
    """RFC 8058 one-click: List-Unsubscribe-Post only with an https link."""
    url = "https://mail.acme.example/u/token"
    both = parse(
        build_mime(replace(BASE, list_unsubscribe=url, list_unsubscribe_mailto="u@acme.example"))
    )
    assert both["List-Unsubscribe"] == f"<{url}>, <mailto:u@acme.example>"
    assert both["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    mailto_only = parse(build_mime(replace(BASE, list_unsubscribe_mailto="mailto:u@acme.example")))
    assert mailto_only["List-Unsubscribe"] == "<mailto:u@acme.example>"
    assert mailto_only["List-Unsubscribe-Post"] is None
    plain = parse(build_mime(BASE))
    assert plain["List-Unsubscribe"] is None
    assert plain["Reply-To"] is None


def test_extra_headers() -> None:
    """Transactional mail marks itself; a non-ASCII value is encoded."""
    message = parse(build_mime(replace(BASE, extra_headers={"Auto-Submitted": "auto-generated"})))
    assert message["Auto-Submitted"] == "auto-generated"


INJECTIONS = [
    {"subject": "Hi\r\nBcc: victim@x.example"},
    {"subject": "Hi\nBcc: victim@x.example"},
    {"subject": "Hi\rBcc: victim@x.example"},
    {"subject": "Hi\x00"},
    {"subject": "=?utf-8?q?forged?="},
    {"sender": "Acme\r\nBcc: victim@x.example <hello@acme.example>"},
    {"sender": '"Acme\nBcc: victim@x.example" <hello@acme.example>'},
    {"reply_to": "Sales\r\nBcc: victim@x.example <s@acme.example>"},
    {"to": "bob@example.com\r\nBcc: victim@x.example"},
    {"extra_headers": {"X-Note": "a\r\nBcc: victim@x.example"}},
    {"list_unsubscribe": "https://a.example/u\r\nBcc: victim@x.example"},
]


@pytest.mark.parametrize("changes", INJECTIONS)
def test_header_injection_refused(changes: dict[str, Any]) -> None:
    """CVE-2024-6923-style smuggling is refused whatever field carries it."""
    with pytest.raises(HeaderInjectionError):
        build_mime(replace(BASE, **changes))


@pytest.mark.parametrize(
    "changes",
    [
        {"date": datetime(2024, 1, 1)},  # naive
        {"message_id": "no-brackets@acme.example"},
        {"message_id": "<two words@acme.example>"},
        {"to": "not an address"},
        {"sender": "nobody"},
        {"list_unsubscribe": "javascript:alert(1)"},
        {"list_unsubscribe_mailto": "mailto:not-an-address"},
        {"extra_headers": {"From": "other@x.example"}},
        {"extra_headers": {"Bad Name": "x"}},
    ],
)
def test_malformed_fields_refused(changes: dict[str, Any]) -> None:
    """Malformed input is a ValueError, never a silently odd message."""
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies by field
        build_mime(replace(BASE, **changes))


def test_date_in_utc_round_trips() -> None:
    """An aware UTC date is written in RFC 5322 form."""
    raw = build_mime(replace(BASE, date=datetime(2024, 3, 5, 8, 30, tzinfo=UTC)))
    assert b"Date: Tue, 05 Mar 2024 08:30:00 +0000\r\n" in raw


def test_same_instant_in_two_zones_keeps_each_zone() -> None:
    """Date headers are made once per second and zone: equal instants in different
    zones are equal datetimes, yet each mail shows its own offset."""
    madrid = build_mime(
        replace(BASE, date=datetime(2025, 1, 2, 10, 0, 0, 1, tzinfo=timezone(timedelta(hours=1))))
    )
    utc = build_mime(replace(BASE, date=datetime(2025, 1, 2, 9, 0, 0, 2, tzinfo=UTC)))
    assert b"Date: Thu, 02 Jan 2025 10:00:00 +0100\r\n" in madrid
    assert b"Date: Thu, 02 Jan 2025 09:00:00 +0000\r\n" in utc
