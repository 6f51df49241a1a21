"""Rule tests compiled once per rules file, then run millions of times (pure).

Text is compared case-insensitively and patterns are shell-style globs (``*``, ``?``),
the syntax a marketer already knows from file names; regular expressions would let one
typo match everything. Each glob list becomes one compiled regular expression, each list
of values a set: a recompute runs these for every lead and every event.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from fnmatch import translate
from typing import Any

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_COMPARISON = re.compile(r"^\s*(>=|<=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$")
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
}
Scalar = str | int | float | bool
Test = Callable[[Any], bool]


def data_comparison(value: object) -> tuple[str, float] | None:
    """``">= 20"`` → ``(">=", 20.0)``; anything else is not a comparison."""
    match = _COMPARISON.match(value) if isinstance(value, str) else None
    return (match.group(1), float(match.group(2))) if match else None


def as_number(value: Any) -> float | None:
    """Numbers as people write them in forms: 12000, "12,000", "€12000", "51-200" → 51."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    match = _NUMBER.search(str(value).replace(",", "").replace("_", ""))
    return float(match.group()) if match else None


def equal(actual: Any, expected: Scalar) -> bool:
    """Text case-insensitively, numbers by value ("20" equals 20), booleans exactly."""
    if actual is None:
        return False
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected
    if isinstance(expected, int | float):
        numeric = isinstance(actual, int | float) or _NUMBER.fullmatch(str(actual).strip())
        return bool(numeric) and as_number(actual) == float(expected)
    return str(actual).casefold() == expected.casefold()


def glob(patterns: Sequence[str]) -> re.Pattern[str]:
    """Any of the globs, on case-folded text."""
    return re.compile("|".join(f"(?:{translate(p.casefold())})" for p in patterns))


def one_of(options: Sequence[Scalar]) -> Test:
    texts = frozenset(o.casefold() for o in options if isinstance(o, str))
    others = [o for o in options if not isinstance(o, str)]

    def test(value: Any) -> bool:
        if isinstance(value, str) and value.casefold() in texts:
            return True
        return any(equal(value, option) for option in others)

    return test


def data_test(wanted: Scalar | list[Scalar]) -> Test:
    """What an event's data value must be: a value, any of a list, or a comparison."""
    if isinstance(wanted, list):
        return one_of(wanted)
    comparison = data_comparison(wanted)
    if comparison is None:
        return one_of([wanted])
    compare, limit = _COMPARE[comparison[0]], comparison[1]

    def test(value: Any) -> bool:
        number = as_number(value)
        return number is not None and compare(number, limit)

    return test


class EventMatcher:
    """An event type, then its url (glob), form (any of) and data tests."""

    __slots__ = ("data", "forms", "type", "url")

    def __init__(
        self,
        event_type: str,
        url: str | None,
        forms: Sequence[str] | None,
        data: Mapping[str, Scalar | list[Scalar]] | None,
    ) -> None:
        self.type = event_type
        self.url = glob([url]) if url is not None else None
        self.forms = one_of(list(forms)) if forms is not None else None
        self.data = tuple((key, data_test(value)) for key, value in (data or {}).items())

    def holds(self, event_type: str, data: Mapping[str, Any]) -> bool:
        if event_type != self.type:
            return False
        if self.url is not None and not self.url.fullmatch(str(data.get("url") or "").casefold()):
            return False
        if self.forms is not None and not self.forms(data.get("form")):
            return False
        return all(test(data.get(key)) for key, test in self.data)


def field_value(fields: Mapping[str, Any], name: str) -> Any:
    """A lead field by the name rules use: contract field, email_domain, attributes.<key>."""
    if name == "email_domain":
        email = fields.get("email") or ""
        return email.rpartition("@")[2] or None
    if name.startswith("attributes."):
        return (fields.get("attributes") or {}).get(name.removeprefix("attributes."))
    return fields.get(name)


class FieldMatcher:
    """Every test given must hold; for a list (tags), any element may pass."""

    __slots__ = ("at_least", "below", "field", "matches", "one_of")

    def __init__(
        self,
        field: str,
        matches: Sequence[str] | None,
        in_: Sequence[Scalar] | None,
        at_least: float | None,
        below: float | None,
    ) -> None:
        self.field = field
        self.matches = glob(matches) if matches is not None else None
        self.one_of = one_of(list(in_)) if in_ is not None else None
        self.at_least, self.below = at_least, below

    def holds(self, fields: Mapping[str, Any]) -> tuple[bool, Any]:
        """(whether it holds, the value tested)."""
        value = field_value(fields, self.field)
        for item in value if isinstance(value, list) else [value]:
            if item is not None and item != "" and self._holds(item):
                return True, item
        return False, value

    def _holds(self, value: Any) -> bool:
        if self.matches is not None and not self.matches.fullmatch(str(value).casefold()):
            return False
        if self.one_of is not None and not self.one_of(value):
            return False
        if self.at_least is None and self.below is None:
            return True
        number = as_number(value)
        if number is None:
            return False
        return (self.at_least is None or number >= self.at_least) and (
            self.below is None or number < self.below
        )
