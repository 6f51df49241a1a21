"""Whether a lead passes a campaign's `entry.where` filters.

Every key given must hold; a list means "any of". A lead without the value does not
match: a filter on country must not enrol leads whose country is unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nurture.campaigns.schema import Where, compare

# ISO country codes arrive as "es", "ES" or "Es" from forms and spreadsheets.
_CASE_INSENSITIVE = frozenset({"country"})


def matches_where(where: Where | None, lead: Mapping[str, Any]) -> bool:
    """Whether `lead` (contract lead fields plus score, temperature, lifecycle_stage,
    tags) passes every filter of `where` (no filters: every lead does)."""
    if where is None:
        return True
    rules = where.model_dump(exclude_none=True)
    return all(_matches(name, rule, lead.get(name)) for name, rule in rules.items())


def _matches(name: str, rule: Any, value: Any) -> bool:
    if value is None or value == "":
        return False
    if name == "score":
        return _is_number(value) and compare(value, rule)
    if name == "tags":
        return not _as_set(value).isdisjoint(rule)
    if name in _CASE_INSENSITIVE:
        return str(value).casefold() in {option.casefold() for option in rule}
    return value in rule


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_set(value: Any) -> set[str]:
    # One tag written as plain text is still one tag, not a set of characters.
    return {value} if isinstance(value, str) else set(value)
