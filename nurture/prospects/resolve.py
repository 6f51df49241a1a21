"""Signed links to the records they name: payload shapes checked, absence made explicit.

`InvalidToken` / `ExpiredToken` come from the token layer; `LinkGone` means a valid
signature whose lead (or address change) no longer exists, after an erasure or a purge.
All three end on the same friendly page, and none of them carries the token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nurture.consent.tokens import InvalidToken, Tokens
from nurture.models import AddressChange, Lead


class LinkGone(Exception):
    """Validly signed, but what it names is gone."""


@dataclass(frozen=True)
class Unsubscribe:
    lead_public_id: str
    purpose: str
    campaign_id: str | None


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value or len(value) > 200:
        raise InvalidToken("link not valid")
    return value


def lead_by_public_id(session: Session, public_id: str) -> Lead:
    lead = session.scalar(select(Lead).where(Lead.public_id == public_id))
    if lead is None:
        raise LinkGone()
    return lead


def lead_of(session: Session, tokens: Tokens, purpose: str, token: str) -> Lead:
    """For `preferences` (and my-data) and `erase` tokens: the payload is a public id."""
    return lead_by_public_id(session, _text(tokens.verify(purpose, token)))


def confirm_payload(tokens: Tokens, token: str) -> tuple[str, list[str]]:
    payload = tokens.verify("confirm", token)
    if not isinstance(payload, list) or len(payload) != 2 or not isinstance(payload[1], list):
        raise InvalidToken("link not valid")
    return _text(payload[0]), [_text(purpose) for purpose in payload[1]]


def unsubscribe_payload(tokens: Tokens, token: str) -> Unsubscribe:
    payload = tokens.verify("unsubscribe", token)
    if not isinstance(payload, list) or len(payload) != 3:
        raise InvalidToken("link not valid")
    campaign = None if payload[2] is None else _text(payload[2])
    return Unsubscribe(_text(payload[0]), _text(payload[1]), campaign)


def address_change_of(session: Session, tokens: Tokens, token: str) -> AddressChange:
    public_id = _text(tokens.verify("address", token))
    change = session.scalar(select(AddressChange).where(AddressChange.public_id == public_id))
    if change is None:
        raise LinkGone()
    return change
