"""Email address normalisation: the one key a lead is known by.

Two spellings of one mailbox must be one lead: the domain is case-insensitive and may be
written in Unicode or as IDNA (``bücher.de`` = ``xn--bcher-kva.de``), and Unicode text may
arrive composed or decomposed. The local part is lower-cased too: RFC 5321 lets it be
case-sensitive, but no mailbox provider in use treats it so, and duplicates that differ
only in case are the most common import mistake.
"""

from __future__ import annotations

import re
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

# The common case, checked without email_validator (which costs ~50 µs an address, too
# slow for a 100,000-row import): an ASCII dot-atom local part (RFC 5322 atext, already
# lower-cased) and a domain that email_validator accepted before and would not rewrite.
# Every address this accepts, email_validator accepts and normalises to the same text
# (tests/unit/test_email.py compares both paths); anything else takes the full path.
_ATEXT = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_SIMPLE_LOCAL = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*\Z")
_MAX_LOCAL = 64
_MAX_ADDRESS = 254


class InvalidEmail(ValueError):
    """The address is not one we can send to; the message says why."""


def normalise_email(raw: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidEmail("the email address is empty")
    text = raw.strip()
    fast = _fast_path(text)
    if fast is not None:
        return fast
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidEmail(str(error)) from None
    return result.normalized.lower()


def _fast_path(text: str) -> str | None:
    """The normalised address if it is a plain ASCII one, else None (use the full check)."""
    if not text.isascii() or len(text) > _MAX_ADDRESS:
        return None
    lowered = text.lower()
    local, at, domain = lowered.rpartition("@")
    if not at or len(local) > _MAX_LOCAL or not _SIMPLE_LOCAL.match(local):
        return None
    return lowered if _plain_domain(domain) else None


@lru_cache(maxsize=65_536)
def _plain_domain(domain: str) -> bool:
    """email_validator accepts ``domain`` as it is (lists repeat domains: cached)."""
    if not domain:
        return False
    try:
        result = validate_email(f"a@{domain}", check_deliverability=False)
    except EmailNotValidError:
        return False
    return bool(result.domain == domain)
