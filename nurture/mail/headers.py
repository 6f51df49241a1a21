"""Header checks and RFC 5322 / RFC 2047 header encoding, hand-built for speed.

`email.message.EmailMessage` costs ~3 ms per message; the handful of headers a campaign
mail needs cost microseconds by hand. Round-trip tests through
``BytesParser(policy=email.policy.default)`` pin the output: no defects, identical values.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from functools import lru_cache

import idna

from nurture.mail.errors import HeaderInjectionError

MAX_LINE = 78
# Refused rather than sanitised: line breaks and NUL smuggle headers in (CVE-2024-6923),
# other controls and Unicode line separators split lines in some parsers, and a literal
# `=?` would be decoded by the reader's mail client as an encoded word (spoofing).
_FORBIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]|=\?")
_ATOMS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+( [A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\x80-\U0010ffff-]+"
_LOCAL_PART = re.compile(rf"{_ATEXT}(\.{_ATEXT})*")
_NAME_ADDR = re.compile(r"(.*?)\s*<([^<>]*)>", re.DOTALL)
_CHUNKS = re.compile(r"\s*\S+")
_Q_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")
_EW_OVERHEAD = len("=?utf-8?q?") + len("?=")
_EW_MAX = 75


def check_header_text(name: str, value: str) -> str:
    """Return ``value`` unchanged, or raise if it could inject or forge header content."""
    match = _FORBIDDEN.search(value)
    if match:
        raise HeaderInjectionError(f"{name}: refusing {match.group()!r} in header text")
    return value


def parse_mailbox(text: str) -> tuple[str, str]:
    """``'Acme <hello@acme.example>'`` → ``('Acme', 'hello@acme.example')``; bare addresses too."""
    check_header_text("address", text)
    match = _NAME_ADDR.fullmatch(text.strip())
    name, address = (match.group(1), match.group(2)) if match else ("", text.strip())
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = re.sub(r"\\(.)", r"\1", name[1:-1])
    check_header_text("display name", name)
    return name, check_address(address)


def check_address(address: str) -> str:
    """A bare ``local@domain`` with no whitespace, brackets or control characters."""
    check_header_text("address", address)
    local, at, domain = address.rpartition("@")
    if not at or not _LOCAL_PART.fullmatch(local) or not domain:
        raise ValueError("not an e-mail address (expected local@domain)")
    if any(ch.isspace() or ch in '<>()[],;:"\\' for ch in domain):
        raise ValueError("not an e-mail address (bad domain)")
    return address


def domain_of(address: str) -> str:
    """The ASCII (IDNA) lower-case domain of ``user@domain`` or ``Name <user@domain>``."""
    return ascii_domain(parse_mailbox(address)[1].rpartition("@")[2])


@lru_cache(maxsize=4096)
def ascii_domain(domain: str) -> str:
    if domain.isascii():
        return domain.lower()
    return idna.encode(domain, uts46=True).decode("ascii")


def header_address(address: str) -> str:
    """The address as written in a header: IDN domains as A-labels (7-bit safe).

    A non-ASCII local part stays UTF-8 (RFC 6532); only SMTPUTF8 servers can take it.
    """
    local, _, domain = address.rpartition("@")
    return f"{local}@{ascii_domain(domain)}"


def fold(name: str, chunks: Iterable[str]) -> str:
    """``Name: chunk chunk…`` folded before a chunk when a line would pass 78 characters.

    Every chunk starts with whitespace, so a fold only ever inserts CRLF before existing
    whitespace and unfolding gives back the exact value.
    """
    lines: list[str] = []
    line = name + ":"
    for chunk in chunks:
        if len(line) + len(chunk) > MAX_LINE and len(line) > len(name) + 1:
            lines.append(line)
            line = chunk
        else:
            line += chunk
    lines.append(line)
    return "\r\n".join(lines) + "\r\n"


def unstructured(name: str, value: str) -> str:
    """A free-text header (Subject, extra headers): folded ASCII, else encoded words."""
    check_header_text(name, value)
    chunks = _CHUNKS.findall(" " + value)
    if value.isascii() and all(len(chunk) < 900 for chunk in chunks):
        return fold(name, chunks)
    return fold(name, encoded_words(value, MAX_LINE - len(name) - 2))


def mailbox(name: str, display_name: str, address: str) -> str:
    """An address header: ``Name <addr>``, the name folded like any other text."""
    bare = header_address(address)
    if not display_name:
        return fold(name, [" " + bare])
    return fold(name, [*_phrase(name, display_name), f" <{bare}>"])


def _phrase(name: str, display_name: str) -> list[str]:
    """A display name as atoms, a quoted string, or atoms mixed with encoded words.

    Runs of words that need encoding share one encoded word, spaces included: readers
    disagree about the space between two adjacent encoded words in a name (RFC 2047
    drops it, Python's parser keeps it), so a name splits only when a run passes 75
    characters.
    """
    if display_name.isascii():
        phrase = display_name if _ATOMS.fullmatch(display_name) else _quoted(display_name)
        return _CHUNKS.findall(" " + phrase)
    words = display_name.split(" ")
    if "" in words:  # leading, trailing or double spaces: keep them exactly
        return encoded_words(display_name, MAX_LINE - len(name) - 2)
    chunks: list[str] = []
    run: list[str] = []
    for word in [*words, None]:
        if word is not None and not _ATOMS.fullmatch(word):
            run.append(word)
            continue
        if run:
            budget = _EW_MAX if chunks else MAX_LINE - len(name) - 2
            chunks += encoded_words(" ".join(run), budget)
            run = []
        if word is not None:
            chunks.append(" " + word)
    return chunks


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def encoded_words(text: str, first_budget: int) -> list[str]:
    """RFC 2047 words (each ``' =?utf-8?…?='``, ≤ 75 chars), never splitting a character.

    Q keeps mostly-Latin text readable in the raw source; B is used when it is shorter
    (Greek, Cyrillic, CJK…). Whitespace between adjacent encoded words is ignored by
    readers, so the words concatenate back to ``text`` exactly.
    """
    q_pieces = [_q_char(ch) for ch in text]
    use_b = sum(map(len, q_pieces)) > 4 * (len(text.encode()) + 2) // 3
    words: list[str] = []
    budget = min(first_budget, _EW_MAX) - _EW_OVERHEAD
    start, size = 0, 0
    for index, ch in enumerate(text):
        grown = _b_len(text[start : index + 1]) if use_b else size + len(q_pieces[index])
        if grown > budget and index > start:
            words.append(_word(text, q_pieces, start, index, use_b))
            start, budget = index, _EW_MAX - _EW_OVERHEAD
            grown = _b_len(ch) if use_b else len(q_pieces[index])
        size = grown
    words.append(_word(text, q_pieces, start, len(text), use_b))
    return [" " + word for word in words]


def _word(text: str, q_pieces: list[str], start: int, end: int, use_b: bool) -> str:
    if use_b:
        return "=?utf-8?b?" + base64.b64encode(text[start:end].encode()).decode() + "?="
    return "=?utf-8?q?" + "".join(q_pieces[start:end]) + "?="


def _b_len(text: str) -> int:
    return 4 * ((len(text.encode()) + 2) // 3)


@lru_cache(maxsize=8192)
def _q_char(ch: str) -> str:
    if ch in _Q_SAFE:
        return ch
    if ch == " ":
        return "_"
    return "".join(f"={byte:02X}" for byte in ch.encode())
