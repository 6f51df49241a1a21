"""Cleaning the lead fields that arrive from imports, the API and the command line.

Pure: takes a mapping of raw values, returns clean contract fields, free attributes and
tags, or raises `FieldError` naming the first bad field (APIs report it, imports write it
to the rejects file).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nurture.leads.email import InvalidEmail, normalise_email
from nurture.models.lead import IDENTITY_FIELDS

MAX_LENGTHS = {
    "first_name": 200,
    "last_name": 200,
    "phone": 50,
    "company": 200,
    "job_title": 200,
    "industry": 200,
    "company_size": 50,
    "website": 500,
    "source": 100,
}
_LOCALE = re.compile(r"^([a-zA-Z]{2,3})(?:[-_]([a-zA-Z0-9]{2,8}))?$")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_TAG = re.compile(r"^[\w][\w .:/-]{0,63}$")
MAX_ATTRIBUTES = 100
# Keys of a raw mapping that are not free attributes.
_KNOWN = frozenset({"email", "tags", "attributes", *IDENTITY_FIELDS})


class FieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass
class CleanLead:
    email: str
    fields: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)


def _text(name: str, value: Any) -> str | None:
    if type(value) is str:  # the common case first: imports call this a million times
        text = value.strip()
    elif value is None:
        return None
    elif isinstance(value, str):
        text = str(value).strip()
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise FieldError(name, "must be text")
    else:
        text = str(value)
    if "\x00" in text:
        raise FieldError(name, "contains a NUL character")
    limit = MAX_LENGTHS.get(name, 200)
    if len(text) > limit:
        raise FieldError(name, f"is longer than {limit} characters")
    return text or None


def _locale(value: str) -> str:
    match = _LOCALE.match(value)
    if not match:
        raise FieldError("locale", f"{value!r} is not a language tag like es or es-ES")
    language, region = match.groups()
    return language.lower() + (f"-{region.upper()}" if region else "")


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise FieldError("timezone", f"{value!r} is not an IANA time zone") from None
    return value


def _country(value: str) -> str:
    if not _COUNTRY.match(value):
        raise FieldError("country", f"{value!r} is not a two-letter country code")
    return value.upper()


_SPECIAL = {"locale": _locale, "timezone": _timezone, "country": _country}


def clean_tags(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise FieldError("tags", "must be a list or comma-separated text")
    tags: list[str] = []
    for item in items:
        tag = str(item).strip()
        if tag and not _TAG.match(tag):
            raise FieldError("tags", f"{tag!r} is not a valid tag")
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def clean_email(value: Any) -> str:
    try:
        return normalise_email(value or "")
    except InvalidEmail as error:
        raise FieldError("email", str(error)) from None


def clean_field(name: str, value: Any) -> str | None:
    """One identity field (IDENTITY_FIELDS), cleaned; None when empty."""
    if value is None or value == "":
        return None
    text = _text(name, value)
    if text is None:
        return None
    special = _SPECIAL.get(name)
    return special(text) if special is not None else text


def check_finite(value: Any, where: str) -> None:
    """JSON has no NaN or infinity, and PostgreSQL refuses them; yet Python's JSON parser
    reads NaN in an API body. `where` names the field, `.key` and `[i]` added below it."""
    if isinstance(value, float) and not math.isfinite(value):
        raise FieldError(where, f"{value} is not a finite number")
    if isinstance(value, Mapping):
        for key, item in value.items():
            check_finite(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_finite(item, f"{where}[{index}]")


def clean_attributes(pairs: Iterable[tuple[Any, Any]]) -> dict[str, Any]:
    """Free attributes: empty values dropped, keys cut to 100 characters, at most 100."""
    attributes: dict[str, Any] = {}
    for key, value in pairs:
        if value is None or value == "":
            continue
        if not isinstance(value, str | int | float | bool):
            raise FieldError(str(key), "attribute values must be text, numbers or true/false")
        if isinstance(value, float):  # an .xlsx cell can say 1E400
            check_finite(value, str(key))
        attributes[str(key)[:100]] = value
    if len(attributes) > MAX_ATTRIBUTES:
        raise FieldError("attributes", f"more than {MAX_ATTRIBUTES} attributes")
    return attributes


def clean_lead(raw: Mapping[str, Any]) -> CleanLead:
    lead = CleanLead(email=clean_email(raw.get("email")))
    for name in IDENTITY_FIELDS:
        text = clean_field(name, raw.get(name))
        if text is not None:
            lead.fields[name] = text
    lead.tags = clean_tags(raw.get("tags"))
    extra = raw.get("attributes") or {}
    if not isinstance(extra, Mapping):
        raise FieldError("attributes", "must be an object")
    others = {k: v for k, v in raw.items() if k not in _KNOWN}
    lead.attributes = clean_attributes({**others, **extra}.items())
    return lead
