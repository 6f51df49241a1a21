"""`file:line: message` problems, and pydantic errors translated into them.

Every check over campaign, purposes and template files reports a `Problem` rather than
raising, so one run shows everything that is wrong and a broken file never hides others.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

Loc = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    """One thing to fix. ``line`` is 1-based; 0 means the problem has no line (a setting)."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        if self.line <= 0:
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}: {self.message}"


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """By file, then line: the order an editor walks them in; duplicates dropped."""
    return sorted(set(problems), key=lambda p: (str(p.path), p.line, p.message))


def dotted(loc: Loc) -> str:
    """``("steps", 1, "subject")`` → ``steps[1].subject``: how the message names a value."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text or "(top level)"


def error_loc(error: ErrorDetails) -> Loc:
    """Where in the data an error is; validators may add a finer ``ctx["loc"]``."""
    # Dict-key errors end in "[key]": the key's own line is what we want.
    loc = tuple(part for part in error["loc"] if part != "[key]")
    extra = (error.get("ctx") or {}).get("loc", ())
    return (*loc, *extra)


def describe(error: ErrorDetails, model: type[BaseModel]) -> str:
    """A message for one pydantic error, in the file's terms (keys, not Python fields)."""
    loc = error_loc(error)
    kind, msg = error["type"], error["msg"]
    if kind == "extra_forbidden":
        return _unknown_key(loc, model)
    if kind == "missing":
        where = f" in {dotted(loc[:-1])}" if loc[:-1] else ""
        return f"missing required key '{loc[-1]}'{where}"
    if "loc" in (error.get("ctx") or {}):  # our cross-field checks name what they mean
        return msg
    if kind == "too_short":
        count = (error.get("ctx") or {}).get("min_length", 1)
        return f"{dotted(loc)}: must have at least {count} item{'s' if count != 1 else ''}"
    if kind == "value_error":
        return f"{dotted(loc)}: {msg.removeprefix('Value error, ')}"
    return f"{dotted(loc)}: {msg[:1].lower()}{msg[1:]}, got {_show(error['input'])}"


def _unknown_key(loc: Loc, model: type[BaseModel]) -> str:
    allowed = _keys_at(model, loc[:-1])
    key = str(loc[-1])
    where = f" in {dotted(loc[:-1])}" if loc[:-1] else ""
    text = f"unknown key '{key}'{where}"
    close = difflib.get_close_matches(key, allowed, n=1)
    if close:
        text += f" (did you mean '{close[0]}'?)"
    return text + (f"; allowed: {', '.join(allowed)}" if allowed else "")


def _keys_at(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The keys the model accepts at ``loc``: walk fields, lists and dicts down to it."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int) or get_origin(current) is dict:
            args = get_args(current)
            current = args[-1] if args else None
        elif isinstance(current, type) and issubclass(current, BaseModel):
            fields = {f.alias or name: f for name, f in current.model_fields.items()}
            current = fields[part].annotation if part in fields else None
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def _unwrap(tp: Any) -> Any:
    """Strip ``Annotated`` and ``| None`` so what is left is a model, list or dict."""
    while True:
        origin, args = get_origin(tp), get_args(tp)
        if origin is Annotated:
            tp = args[0]
        elif origin in (Union, types.UnionType):
            tp = next(arg for arg in args if arg is not type(None))
        else:
            return tp


def _show(value: object) -> str:
    """A value as the marketer wrote it in YAML, not as Python prints it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value) if isinstance(value, str) else str(value)


def validation_problems(
    exc: ValidationError,
    model: type[BaseModel],
    path: Path,
    line_of: Callable[[Loc], int],
    skip: Callable[[Loc], bool] | None = None,
) -> list[Problem]:
    """Translate a ValidationError; ``line_of(loc)`` maps a location to its line.

    ``skip(loc)`` drops errors under values the YAML layer already reported, so a
    quoted-it-wrong value gets one clear message, not two.
    """
    problems = []
    for error in exc.errors(include_url=False):
        loc = error_loc(error)
        if skip is not None and skip(loc):
            continue
        problems.append(Problem(path, line_of(loc), describe(error, model)))
    return problems
