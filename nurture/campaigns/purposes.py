"""Consent purposes: ``campaigns/purposes.yaml`` (format documented in the shipped file).

Every send needs consent (or a documented legitimate interest) for one purpose. The
wording shown to the person is part of the proof: the ledger stores it with
`wording_hash`, so a later edit of the file never rewrites what someone agreed to.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from nurture.campaigns.problems import Problem
from nurture.campaigns.schema import Identifier, Strict
from nurture.campaigns.yamlsource import load_model

PURPOSES_FILE = "purposes.yaml"
FALLBACK_LOCALE = "en"
Basis = Literal["consent", "legitimate_interest"]

_LOCALE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def wording_hash(text: str) -> str:
    """Version of a wording: sha256 of its NFC form (the same text typed two ways matches)."""
    return hashlib.sha256(unicodedata.normalize("NFC", text).encode("utf-8")).hexdigest()


def _locale(value: str) -> str:
    if not _LOCALE.match(value):
        raise ValueError(f"{value!r} is not a locale: write a language code like en, es or pt-BR")
    return value


def _text(value: str) -> str:
    # Folded YAML blocks (`>`) end in a newline that is not part of the wording.
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


Locale = Annotated[str, AfterValidator(_locale)]
Text = Annotated[str, AfterValidator(_text)]


class Purpose(Strict):
    id: Identifier
    basis: Basis
    title: dict[Locale, Text]
    wording: dict[Locale, Text]
    description: Text | None = None

    @field_validator("title", "wording")
    @classmethod
    def _has_fallback(cls, texts: dict[str, str]) -> dict[str, str]:
        if FALLBACK_LOCALE not in texts:
            raise ValueError(
                f"needs an `{FALLBACK_LOCALE}` text: every other locale falls back to it"
            )
        return texts


class PurposesFile(Strict):
    purposes: Annotated[list[Purpose], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_ids(self) -> PurposesFile:
        seen: set[str] = set()
        for index, purpose in enumerate(self.purposes):
            if purpose.id in seen:
                loc = ("purposes", index, "id")
                raise PydanticCustomError("duplicate_id", "duplicate purpose id", {"loc": loc})
            seen.add(purpose.id)
        return self


def pick_locale(texts: Mapping[str, str], locale: str | None) -> str:
    """Exact locale, then its language (``es-MX`` → ``es``), then English."""
    wanted = (locale or "").replace("_", "-")
    for candidate in (wanted, wanted.lower(), wanted.split("-")[0].lower()):
        if candidate in texts:
            return texts[candidate]
    return texts[FALLBACK_LOCALE]


class Purposes:
    """The declared purposes, in file order."""

    def __init__(self, purposes: list[Purpose]) -> None:
        self._by_id = {purpose.id: purpose for purpose in purposes}

    def get(self, purpose_id: str) -> Purpose | None:
        return self._by_id.get(purpose_id)

    def wording(self, purpose_id: str, locale: str | None = None) -> str:
        """The wording shown for ``purpose_id``; raises KeyError for an unknown purpose."""
        return pick_locale(self._by_id[purpose_id].wording, locale)

    def title(self, purpose_id: str, locale: str | None = None) -> str:
        return pick_locale(self._by_id[purpose_id].title, locale)

    @property
    def ids(self) -> list[str]:
        return list(self._by_id)

    def __contains__(self, purpose_id: object) -> bool:
        return purpose_id in self._by_id

    def __iter__(self) -> Iterator[Purpose]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)


class PurposesError(Exception):
    """purposes.yaml is missing or invalid; ``str()`` lists every ``file:line: message``."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


def read_purposes(path: Path) -> tuple[Purposes | None, list[Problem]]:
    """Load the purposes file; ``None`` (with problems) if it is missing or invalid."""
    if not path.is_file():
        return None, [Problem(path, 0, "purposes file not found: every campaign needs it")]
    model, _, problems = load_model(path, PurposesFile)
    return (Purposes(model.purposes) if model else None), problems


def load_purposes(where: Path) -> Purposes:
    """The purposes of a campaigns folder (or of the file itself), or PurposesError."""
    path = where / PURPOSES_FILE if where.is_dir() else where
    purposes, problems = read_purposes(path)
    if purposes is None:
        raise PurposesError(problems)
    return purposes
