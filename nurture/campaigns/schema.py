"""The campaign file format (contract), as a strict typed schema.

Pure: no I/O. `nurture.campaigns.loader` turns YAML into these objects and maps every
validation error back to ``file:line``. Strictness is the point: unknown keys, wrong
types and YAML 1.1 surprises are errors, never silently reinterpreted.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)
from pydantic_core import PydanticCustomError

from nurture.campaigns.durations import parse_duration

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Temperature = Literal["cold", "warm", "hot"]

_IDENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
_COMPARISON = re.compile(r"^\s*(>=|<=|>|<|==|=)?\s*(-?\d+)\s*$")

# Exit and entry events may be written without the `email_` prefix (`replied`).
EVENT_ALIASES = {
    "replied": "email_replied",
    "opened": "email_opened",
    "clicked": "email_clicked",
    "bounced": "email_bounced",
    "complained": "email_complained",
}


def _identifier(value: str) -> str:
    if not _IDENT.match(value):
        raise ValueError(
            f"{value!r} is not a valid id: letters, digits, '_', '-' and '.', up to 100"
        )
    return value


def _event_type(value: str) -> str:
    return EVENT_ALIASES.get(_identifier(value), value)


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        hint = "use an IANA name like Europe/Madrid"
        raise ValueError(f"unknown time zone {value!r} ({hint})") from None
    return value


def _hours(value: object) -> tuple[time, time]:
    if not isinstance(value, str):
        raise ValueError(f'must be quoted text like "09:00-18:00", not {value!r}')
    match = _HOURS.match(value.strip())
    if not match:
        raise ValueError(f'{value!r} is not a time range: write it quoted, like "09:00-18:00"')
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    start = time(h1, m1)
    end = time(23, 59, 59, 999999) if h2 == 24 else time(h2, m2)
    if h2 == 24 and m2 != 0:
        raise ValueError(f"{value!r}: 24:00 is the latest end of a window")
    if not start < end:
        raise ValueError(f"{value!r}: the window must end after it starts on the same day")
    return (start, end)


def _comparison(value: str) -> str:
    if not _COMPARISON.match(value):
        raise ValueError(f'{value!r} is not a comparison: write it like ">= 10"')
    return value


Identifier = Annotated[str, AfterValidator(_identifier)]
EventType = Annotated[str, AfterValidator(_event_type)]
TimeZoneName = Annotated[str, AfterValidator(_timezone)]
Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Hours = Annotated[tuple[time, time], BeforeValidator(_hours)]
Comparison = Annotated[str, AfterValidator(_comparison)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)


def compare(value: float, comparison: str) -> bool:
    """Evaluate ``">= 10"`` against a number (pure; the schema validated the text)."""
    match = _COMPARISON.match(comparison)
    if match is None:
        raise ValueError(f"not a comparison: {comparison!r}")
    operator, number = match.group(1) or "==", int(match.group(2))
    return {
        ">=": value >= number,
        "<=": value <= number,
        ">": value > number,
        "<": value < number,
        "==": value == number,
        "=": value == number,
    }[operator]


class Where(Strict):
    """Filters on the lead for entry; every key given must hold; lists mean any of."""

    country: list[Annotated[str, Field(min_length=2, max_length=2)]] | None = None
    locale: list[str] | None = None
    source: list[str] | None = None
    industry: list[str] | None = None
    company_size: list[str] | None = None
    lifecycle_stage: list[str] | None = None
    temperature: list[Temperature] | None = None
    tags: list[str] | None = None  # the lead has at least one of them
    score: Comparison | None = None


class Entry(Strict):
    on: EventType
    where: Where | None = None


class Window(Strict):
    days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS), min_length=1)
    hours: Hours | None = None
    timezone: TimeZoneName | None = None


class Exit(Strict):
    events: list[EventType] = Field(default_factory=list)
    score_at_least: int | None = None
    temperature: Temperature | None = None


class Condition(Strict):
    """A step runs only when every key given holds; otherwise it is skipped."""

    opened: Identifier | None = None
    clicked: Identifier | None = None
    not_opened: Identifier | None = None
    not_clicked: Identifier | None = None
    score_at_least: int | None = None
    has_tag: str | None = None
    temperature: Temperature | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Condition:
        if not self.model_fields_set:
            raise ValueError("an empty `if:` always holds: remove it or name a condition")
        return self

    def referenced_steps(self) -> list[str]:
        return [ref for _, ref in self.references()]

    def references(self) -> list[tuple[str, str]]:
        """(key, step id) pairs, so an error can point at the key's line."""
        refs = {
            "opened": self.opened,
            "clicked": self.clicked,
            "not_opened": self.not_opened,
            "not_clicked": self.not_clicked,
        }
        return [(key, ref) for key, ref in refs.items() if ref is not None]


class Step(Strict):
    id: Identifier
    after: Duration = timedelta(0)
    if_: Condition | None = Field(default=None, alias="if")
    subject: Annotated[str, Field(min_length=1, max_length=998)]
    template: str

    @model_validator(mode="after")
    def _template_path(self) -> Step:
        parts = self.template.replace("\\", "/").split("/")
        if self.template.startswith("/") or ".." in parts:
            raise ValueError(f"template {self.template!r} must be a relative path under templates/")
        return self


def step_reference_error(steps: list[Step]) -> tuple[tuple[str | int, ...], str] | None:
    """The first duplicate step id or bad `if:` reference, with its location in the file."""
    all_ids = {step.id for step in steps}
    earlier: set[str] = set()
    for index, step in enumerate(steps):
        if step.id in earlier:
            return ("steps", index, "id"), f"duplicate step id {step.id!r}"
        for key, ref in step.if_.references() if step.if_ else []:
            loc = ("steps", index, "if", key)
            if ref not in all_ids:
                return loc, f"step {step.id!r}: `if` names unknown step {ref!r}"
            if ref not in earlier:
                return loc, f"step {step.id!r}: `if` names step {ref!r}, which is not before it"
        earlier.add(step.id)
    return None


class Campaign(Strict):
    id: Identifier
    name: Annotated[str, Field(min_length=1)]
    purpose: Identifier
    sender: Annotated[str, Field(min_length=3)]
    reply_to: str | None = None
    entry: Entry
    window: Window | None = None
    exit: Exit = Field(default_factory=Exit)
    steps: Annotated[list[Step], Field(min_length=1)]

    @model_validator(mode="after")
    def _step_references(self) -> Campaign:
        found = step_reference_error(self.steps)
        if found is not None:
            # The loader reads `ctx["loc"]` to point at the offending line, not at line 1.
            loc, message = found
            raise PydanticCustomError("step_reference", message, {"loc": loc})
        return self

    def step(self, step_id: str) -> Step | None:
        return next((step for step in self.steps if step.id == step_id), None)

    @property
    def step_ids(self) -> list[str]:
        return [step.id for step in self.steps]
