"""The scoring file format (`campaigns/scoring.yaml`, contract), as a strict typed schema.

Pure: no I/O. `nurture.scoring.loader` turns YAML into these objects with ``file:line``
problems. As with campaigns, strictness is the point: an unknown key or a wrong type is an
error, never a rule that silently scores nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from functools import cached_property
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from nurture.campaigns.registry import address_error
from nurture.campaigns.schema import Duration, EventType, Identifier, Strict, Temperature
from nurture.models.lead import CONTRACT_FIELDS
from nurture.scoring.matchers import EventMatcher, FieldMatcher, Scalar, data_comparison

Stage = Literal["lead", "mql", "sql", "customer", "disqualified"]
QualifyingStage = Literal["mql", "sql"]

# Lead fields a fit rule or disqualifier may test: the contract's fields, the domain of
# the address (competitors, free mail) and any `attributes.<key>` (budget, ...).
DERIVED_FIELDS = ("email_domain",)
_FIELD = re.compile(r"^attributes\.[A-Za-z0-9_.-]{1,100}$")


def _field_name(value: str) -> str:
    if value in CONTRACT_FIELDS or value in DERIVED_FIELDS or _FIELD.match(value):
        return value
    known = ", ".join((*CONTRACT_FIELDS, *DERIVED_FIELDS, "attributes.<key>"))
    raise ValueError(f"unknown lead field {value!r}; use one of {known}")


def _pattern(value: str) -> str:
    if not value.strip():
        raise ValueError("a pattern must not be empty")
    return value


def _data_value(value: Scalar | list[Scalar]) -> Scalar | list[Scalar]:
    text = value.lstrip() if isinstance(value, str) else ""
    if text.startswith(("<", ">")) and data_comparison(text) is None:
        raise ValueError(f'{value!r} is not a comparison: write it like ">= 20"')
    return value


FieldName = Annotated[str, AfterValidator(_field_name)]
Pattern = Annotated[str, AfterValidator(_pattern)]
DataValue = Annotated[Scalar | list[Scalar], AfterValidator(_data_value)]
Points = Annotated[int, Field(ge=-100, le=100)]
Country = Annotated[str, Field(min_length=2, max_length=2), AfterValidator(str.upper)]


class EventTest(Strict):
    """Which events a rule counts: a type, then optional conditions on the event's data."""

    event: EventType
    # Glob on the event's `url` (a clicked link, a visited page), case-insensitive:
    # "*/pricing*", "https://acme.example/demo".
    url: Pattern | None = None
    # The form's name (`data.form`) for `form_submitted`; a list means any of them.
    form: list[str] | None = None
    # Other keys of the event's data: a value (text compared case-insensitively), a list
    # (any of), or a comparison for numbers (">= 20").
    data: dict[str, DataValue] | None = None

    @field_validator("form", mode="before")
    @classmethod
    def _one_form(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @cached_property
    def matcher(self) -> EventMatcher:
        return EventMatcher(self.event, self.url, self.form, self.data)


class BehaviourRule(EventTest):
    """Points for each matching event (before decay)."""

    id: Identifier
    points: Points
    once: bool = False  # only the first matching event ever counts
    max_per_day: Annotated[int, Field(gt=0)] | None = None  # matching events per UTC day
    decays: bool = True  # false: the points keep their full weight forever


class FieldTest(Strict):
    """A test on one lead field; every key given must hold."""

    field: FieldName
    matches: Annotated[list[Pattern], Field(min_length=1)] | None = None  # globs, any of
    in_: Annotated[list[Scalar], Field(min_length=1)] | None = Field(default=None, alias="in")
    at_least: float | None = None  # numbers; "51-200" and "1000+" count by the first number
    below: float | None = None

    @model_validator(mode="after")
    def _has_test(self) -> FieldTest:
        if (
            self.matches is None
            and self.in_ is None
            and self.at_least is None
            and (self.below is None)
        ):
            raise ValueError("give at least one test: matches, in, at_least or below")
        return self

    @cached_property
    def matcher(self) -> FieldMatcher:
        return FieldMatcher(self.field, self.matches, self.in_, self.at_least, self.below)


class FitRule(FieldTest):
    """Points for a lead whose profile matches the ideal customer."""

    id: Identifier
    points: Points


class Disqualifier(Strict):
    """A lead that cannot buy: a profile test (`field`) or an event (`event`), not both."""

    id: Identifier
    reason: Annotated[str, Field(min_length=1, max_length=200)]
    field: FieldName | None = None
    matches: Annotated[list[Pattern], Field(min_length=1)] | None = None
    in_: Annotated[list[Scalar], Field(min_length=1)] | None = Field(default=None, alias="in")
    at_least: float | None = None
    below: float | None = None
    event: EventType | None = None
    url: Pattern | None = None
    form: list[str] | None = None
    data: dict[str, DataValue] | None = None

    @field_validator("form", mode="before")
    @classmethod
    def _one_form(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_kind(self) -> Disqualifier:
        if (self.field is None) == (self.event is None):
            raise ValueError("give either `field` (a profile test) or `event`, not both")
        tests = (self.matches, self.in_, self.at_least, self.below)
        given = any(test is not None for test in tests)
        if self.field is not None and not given:
            raise ValueError("give at least one test: matches, in, at_least or below")
        if self.event is not None and given:
            raise ValueError("matches, in, at_least and below go with `field`, not `event`")
        return self

    @cached_property
    def matcher(self) -> FieldMatcher | EventMatcher:
        if self.event is not None:
            return EventMatcher(self.event, self.url, self.form, self.data)
        assert self.field is not None
        return FieldMatcher(self.field, self.matches, self.in_, self.at_least, self.below)


class Decay(Strict):
    # Behaviour points lose half their weight every `half_life`; null: they never fade.
    half_life: Duration | None = timedelta(days=30)
    # How often an idle lead's stored score is recomputed so the decay shows.
    refresh: Duration = timedelta(days=1)

    @field_validator("half_life", "refresh")
    @classmethod
    def _positive(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value <= timedelta(0):
            raise ValueError("must be longer than zero")
        return value


class Temperatures(Strict):
    """`cold` below `warm`, `warm` below `hot`, `hot` from `hot` (on the 0-100 total).

    Going down needs the score to fall `hysteresis` points below the threshold it
    crossed, so a lead hovering at a boundary does not flap.
    """

    warm: Annotated[int, Field(ge=1, le=100)] = 40
    hot: Annotated[int, Field(ge=1, le=100)] = 70
    hysteresis: Annotated[int, Field(ge=0, le=50)] = 5

    @model_validator(mode="after")
    def _ordered(self) -> Temperatures:
        if self.warm >= self.hot:
            raise ValueError(f"warm ({self.warm}) must be below hot ({self.hot})")
        if self.hysteresis >= self.warm:
            raise ValueError(f"hysteresis ({self.hysteresis}) must be below warm ({self.warm})")
        return self


class StageRule(Strict):
    """A stage is reached when every threshold given holds, or when any `events` happened."""

    score_at_least: Annotated[int, Field(ge=0, le=100)] | None = None
    fit_at_least: int | None = None
    engagement_at_least: int | None = None
    events: list[EventType] = Field(default_factory=list)

    @model_validator(mode="after")
    def _not_empty(self) -> StageRule:
        if not self.model_fields_set:
            raise ValueError("a stage needs a threshold or `events`")
        return self

    def has_thresholds(self) -> bool:
        return any(
            value is not None
            for value in (self.score_at_least, self.fit_at_least, self.engagement_at_least)
        )


def _default_customer() -> StageRule:
    return StageRule(events=["converted"])


class Stages(Strict):
    mql: StageRule = Field(default_factory=lambda: StageRule(score_at_least=40))
    sql: StageRule = Field(default_factory=lambda: StageRule(score_at_least=70))
    customer: StageRule = Field(default_factory=_default_customer)


class HandoffWhen(Strict):
    """The lead is handed to sales once every key given holds."""

    stage: QualifyingStage | None = None  # this stage or a later one (never customers)
    temperature: Temperature | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> HandoffWhen:
        if self.stage is None and self.temperature is None:
            raise ValueError("name a `stage` or a `temperature`")
        return self


class Returned(Strict):
    """What a rejection by sales does: back to nurture, at this stage, for a while."""

    stage: Literal["lead", "mql"] = "mql"
    # The lead is not handed to sales again before this has passed.
    hold: Duration = timedelta(days=30)


class Rep(Strict):
    id: Identifier
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    email: str
    countries: list[Country] | None = None  # territory; none: any country
    max_open: Annotated[int, Field(gt=0)] | None = None  # capacity: assigned + accepted leads
    active: bool = True  # false: on holiday, left; keeps the history

    @field_validator("email")
    @classmethod
    def _address(cls, value: str) -> str:
        error = address_error(value)
        if error:
            raise ValueError(error)
        return value


class Notify(Strict):
    """Email the owner when a lead is assigned to them (push)."""

    sender: str

    @field_validator("sender")
    @classmethod
    def _address(cls, value: str) -> str:
        error = address_error(value)
        if error:
            raise ValueError(error)
        return value


class Webhook(Strict):
    """POST each hand-off, signed, to a CRM (secret: NURTURE_HANDOFF_WEBHOOK_SECRET)."""

    url: str
    max_attempts: Annotated[int, Field(ge=1, le=20)] = 8
    timeout: Annotated[float, Field(gt=0, le=60)] = 10.0

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/?#]+[^\s]*$", value):
            raise ValueError(f"{value!r} is not an http:// or https:// URL")
        return value


class HandoffRules(Strict):
    when: HandoffWhen
    mode: Literal["push", "pull"] = "pull"
    sla: Duration = timedelta(hours=4)  # speed-to-lead: untouched leads are recalled
    returned: Returned = Field(default_factory=Returned)
    reps: list[Rep] = Field(default_factory=list)
    notify: Notify | None = None
    webhook: Webhook | None = None

    @model_validator(mode="after")
    def _reps(self) -> HandoffRules:
        seen: set[str] = set()
        for index, rep in enumerate(self.reps):
            if rep.id in seen:
                loc = ("reps", index, "id")
                raise PydanticCustomError(
                    "duplicate_rep", f"duplicate rep id {rep.id!r}", {"loc": loc}
                )
            seen.add(rep.id)
        if self.mode == "push" and not any(rep.active for rep in self.reps):
            raise PydanticCustomError(
                "no_reps",
                "push mode needs at least one active rep under `reps`",
                {"loc": ("mode",)},
            )
        return self

    def rep(self, rep_id: str) -> Rep | None:
        return next((rep for rep in self.reps if rep.id == rep_id), None)


class ScoringRules(Strict):
    behaviour: list[BehaviourRule] = Field(default_factory=list)
    fit: list[FitRule] = Field(default_factory=list)
    disqualify: list[Disqualifier] = Field(default_factory=list)
    decay: Decay = Field(default_factory=Decay)
    temperature: Temperatures = Field(default_factory=Temperatures)
    stages: Stages = Field(default_factory=Stages)
    handoff: HandoffRules | None = None

    @model_validator(mode="after")
    def _unique_ids(self) -> ScoringRules:
        seen: dict[str, str] = {}
        for section in ("behaviour", "fit", "disqualify"):
            for index, rule in enumerate(getattr(self, section)):
                if rule.id in seen:
                    message = f"rule id {rule.id!r} is already used in {seen[rule.id]}"
                    raise PydanticCustomError(
                        "duplicate_rule", message, {"loc": (section, index, "id")}
                    )
                seen[rule.id] = section
        return self

    @property
    def version(self) -> str:
        """sha256 of the canonical rules: comments and layout do not change it."""
        data = self.model_dump(mode="json", by_alias=True)
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
