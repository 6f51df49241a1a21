"""Email address normalisation: the one key a lead is known by.

Two spellings of one mailbox must be one lead: the domain is case-insensitive and may be
written in Unicode or as IDNA (``bücher.de`` = ``xn--bcher-kva.de``), and Unicode text may
arrive composed or decomposed. The local part is lower-cased too: RFC 5321 lets it be
case-sensitive, but no mailbox provider in use treats it so, and duplicates that differ
only in case are the most common import mistake.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


class InvalidEmail(ValueError):
    """The address is not one we can send to; the message says why."""


def normalise_email(raw: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidEmail("the email address is empty")
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidEmail(str(error)) from None
    return result.normalized.lower()
