"""Leads delivered as plain emails by lead vendors and form services.

A vendor mail carries the lead as "Key: value" lines in the text part, or as a two-column
HTML table when it has no text part. Keys go through the import's header aliases (`Email`,
`Correo electrónico`, `Empresa`…); a "full name" is split into first and last name;
unknown keys become attributes, a multi-line message included. The vendor's own address
is never taken for the lead's: the lead's address comes from the body, else from
`Reply-To` when a form service sets it to the person who filled the form in.

Pure: bytes in, `VendorLead` out, or `VendorMailError` saying what is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr
from html.parser import HTMLParser
from typing import Any, cast

from nurture.leads.headers import map_columns

# "Key: value", "Key = value" or "Key<TAB>value"; a colon must be followed by a space or
# the end of the line, so "https://…" and "10:30" are not keys.
_PAIR = re.compile(r"^\s*(?:[-*•>]\s*)?([^:=\t\n]{1,60}?)\s*(?::(?=\s|$)|=|\t)\s*(.*?)\s*$")
_ADDRESS = re.compile(r"[^\s<>()\[\]:;,\"']+@[^\s<>()\[\]:;,\"']+")
_FULL_NAME = frozenset({"full name", "nombre completo", "contact name", "nombre y apellidos"})
_SIGNATURE = "-- "
_MAX_LINES = 500


class VendorMailError(ValueError):
    pass


@dataclass
class VendorLead:
    fields: dict[str, Any]  # lead fields and attributes, ready for `clean_lead`
    sender: str  # the vendor's address (From)
    subject: str
    message_id: str | None = None
    unparsed: list[str] = field(default_factory=list)  # body lines that were not key: value

    def reference(self) -> str:
        """How the mail is named in the consent proof."""
        parts = [f"vendor mail from {self.sender}"]
        if self.message_id:
            parts.append(self.message_id)
        return ", ".join(parts)


def parse_vendor_mail(data: bytes) -> VendorLead:
    message = message_from_bytes(data, policy=policy.default)
    lines = _body_lines(message)
    fields, unparsed = _pairs(lines)
    sender = parseaddr(str(message.get("From", "")))[1]
    if not fields.get("email"):
        reply_to = parseaddr(str(message.get("Reply-To", "")))[1]
        if reply_to and reply_to.lower() != sender.lower():
            fields["email"] = reply_to
    if not fields.get("email"):
        raise VendorMailError("no lead address found in the mail (an Email: line or Reply-To)")
    return VendorLead(
        fields=fields,
        sender=sender or "unknown sender",
        subject=str(message.get("Subject", "")),
        message_id=str(message.get("Message-ID", "")).strip() or None,
        unparsed=unparsed,
    )


def _body_lines(message: EmailMessage) -> list[str]:
    plain = message.get_body(preferencelist=("plain",))
    lines = _lines(cast(EmailMessage, plain).get_content()) if plain is not None else None
    if lines is not None and any(_PAIR.match(line) for line in lines):
        return lines
    html = message.get_body(preferencelist=("html",))
    if html is not None:
        return _lines(table_text(cast(EmailMessage, html).get_content()))
    if lines is None:
        raise VendorMailError("the mail has no text or HTML body")
    return lines


def _lines(text: str) -> list[str]:
    lines: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n")[:_MAX_LINES]:
        if line.rstrip() == _SIGNATURE.rstrip():
            break  # what follows a signature delimiter is the vendor's footer
        lines.append(line)
    return lines


def _pairs(lines: list[str]) -> tuple[dict[str, Any], list[str]]:
    """Key: value lines. A key without a value ("Message:") takes the lines that follow, up
    to a blank line; so does an indented line after any value."""
    keys: list[str] = []
    values: list[str] = []
    unparsed: list[str] = []
    collecting = False
    for line in lines:
        match = None if line.startswith((" ", "\t")) else _PAIR.match(line)
        if match:
            keys.append(match.group(1).strip())
            values.append(match.group(2))
            collecting = not match.group(2)
        elif not line.strip():
            collecting = False
        elif keys and (collecting or line.startswith((" ", "\t"))):
            values[-1] = f"{values[-1]}\n{line.strip()}".strip()
            collecting = True
        else:
            unparsed.append(line.strip())
    return _fields(keys, values), unparsed


def _fields(keys: list[str], values: list[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    for role, key, value in zip(map_columns(keys), keys, values, strict=True):
        if not value:
            continue
        if key.strip().lower() in _FULL_NAME:
            first, _, last = value.partition(" ")
            fields.setdefault("first_name", first)
            if last:
                fields.setdefault("last_name", last)
        elif role == key.strip():  # not a lead field: an attribute
            attributes.setdefault(role, value)
        else:
            fields.setdefault(role, value)
    if "email" in fields:  # "ana@x.example <mailto:ana@x.example>", "mailto:…"
        found = _ADDRESS.search(fields["email"].removeprefix("mailto:"))
        fields["email"] = found.group(0).removeprefix("mailto:") if found else fields["email"]
    fields["attributes"] = attributes
    return fields


class _TableText(HTMLParser):
    """HTML as lines; a table row's cells joined as "first: rest" (a key and its value)."""

    _BREAKS = frozenset({"br", "p", "div", "li", "h1", "h2", "h3", "h4", "table", "tr"})
    _SKIP = frozenset({"head", "style", "script", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.cells: list[str] | None = None
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skipping += 1
        elif tag == "tr":
            self.cells = []
        elif tag in ("td", "th") and self.cells is not None:
            self.cells.append("")
        elif tag in self._BREAKS and self.cells is None:
            self.lines.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag == "tr" and self.cells is not None:
            cells = [" ".join(cell.split()) for cell in self.cells if cell.strip()]
            if len(cells) > 1:
                self.lines.append(f"{cells[0].rstrip(':').strip()}: {' '.join(cells[1:])}")
            elif cells:
                self.lines.append(cells[0])
            self.cells = None
            self.lines.append("")

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if self.cells:
            self.cells[-1] += data
        elif self.cells is None:
            self.lines[-1] += " ".join(data.split()) if data.strip() else ""


def table_text(html: str) -> str:
    parser = _TableText()
    parser.feed(html)
    parser.close()
    return "\n".join(line.strip() for line in parser.lines if line.strip())
