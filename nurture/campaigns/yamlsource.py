"""YAML for marketer-written files: safe, with line numbers, without YAML 1.1 surprises.

PyYAML's SafeLoader composes the node tree (so we keep every node's line), but we build
the Python values ourselves: keys are always text (``on:`` is the key "on", not true),
duplicate keys are errors instead of last-one-wins, and plain scalars that YAML 1.1 turns
into something the author did not mean (``NO`` → false, ``10:30`` → 630) are errors.
Aliases are refused outright: campaign files never need them, and refusing them rules out
"billion laughs" expansion before it starts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from nurture.campaigns.problems import Loc, Problem, validation_problems

M = TypeVar("M", bound=BaseModel)

# Far above any real campaign; keeps a pasted log or binary from eating the validator.
MAX_CHARS = 1_000_000
_BOOL = "tag:yaml.org,2002:bool"
_NUMBERS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_COLLECTIONS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


@dataclass(frozen=True)
class ParsedYaml:
    """The document's data and the 1-based line of every key and list item."""

    data: dict[str, Any]
    lines: Mapping[Loc, int]
    # Values the YAML layer already reported: schema errors under them are noise.
    flagged: frozenset[Loc] = field(default_factory=frozenset)

    def line_of(self, loc: Sequence[str | int]) -> int:
        """The line of ``loc``, else of its nearest ancestor that has one."""
        key = tuple(loc)
        while key and key not in self.lines:
            key = key[:-1]
        return self.lines.get(key, 1)

    def is_flagged(self, loc: Sequence[str | int]) -> bool:
        return any(tuple(loc[: len(flag)]) == flag for flag in self.flagged)


class _AliasRefused(yaml.composer.ComposerError):
    pass


class _NoAliasLoader(yaml.SafeLoader):
    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise _AliasRefused(
                None,
                None,
                f"aliases (*{event.anchor}) are not allowed: write the value out",
                event.start_mark,
            )
        return super().compose_node(parent, index)


def parse_yaml(text: str, path: Path) -> tuple[ParsedYaml | None, list[Problem]]:
    """Parse one YAML mapping. ``None`` means nothing usable; problems say why."""
    if len(text) > MAX_CHARS:
        return None, [Problem(path, 1, f"file is larger than {MAX_CHARS} characters")]
    try:
        root = yaml.compose(text, Loader=_NoAliasLoader)
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_problem(path, exc)]
    except yaml.reader.ReaderError as exc:  # a control character: no mark, only a position
        line = text[: exc.position].count("\n") + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        return None, [Problem(path, line, f"control character U+{code:04X} is not allowed")]
    except RecursionError:
        return None, [Problem(path, 1, "YAML is nested too deeply")]
    if not isinstance(root, MappingNode):
        found = "an empty file" if root is None else _kind(root)
        line = 1 if root is None else _line(root)
        return None, [Problem(path, line, f"expected a mapping of keys (`name: …`), found {found}")]
    builder = _Builder(path)
    data = builder.build(root, ())
    return ParsedYaml(data, builder.lines, frozenset(builder.flagged)), builder.problems


def read_yaml(path: Path) -> tuple[ParsedYaml | None, list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(path, 1, f"cannot read the file: {exc}")]
    return parse_yaml(text, path)


def load_model(
    path: Path,
    model: type[M],
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> tuple[M | None, ParsedYaml | None, list[Problem]]:
    """Read, parse and validate one file; the model is ``None`` if anything is wrong."""
    parsed, problems = read_yaml(path)
    if parsed is None:
        return None, None, problems
    data = prepare(parsed.data) if prepare else parsed.data
    try:
        result: M | None = model.model_validate(data)
    except ValidationError as exc:
        result = None
        problems += validation_problems(exc, model, path, parsed.line_of, parsed.is_flagged)
    return (None if problems else result), parsed, problems


def _syntax_problem(path: Path, exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 1
    context = exc.context
    if context and exc.context_mark and exc.context_mark.line + 1 != line:
        context += f" (from line {exc.context_mark.line + 1})"  # e.g. where a quote opened
    text = ", ".join(part for part in (context, exc.problem) if part)
    prefix = "" if isinstance(exc, _AliasRefused) else "YAML syntax error: "
    return Problem(path, line, prefix + text)


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _kind(node: Node) -> str:
    if isinstance(node, SequenceNode):
        return "a list"
    return f"the single value {node.value!r}"


class _Builder:
    """Turns the node tree into dicts, lists and scalars, recording lines and problems."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: dict[Loc, int] = {}
        self.flagged: set[Loc] = set()
        self.problems: list[Problem] = []
        self.constructor = yaml.constructor.SafeConstructor()

    def build(self, node: Node, loc: Loc) -> Any:
        self.lines.setdefault(loc, _line(node))
        if isinstance(node, ScalarNode):
            return self._scalar(node, loc)
        if node.tag not in _COLLECTIONS:
            self._flag(loc, _line(node), f"the YAML tag {node.tag} is not supported here")
        if isinstance(node, MappingNode):
            return self._mapping(node, loc)
        return [self.build(item, (*loc, index)) for index, item in enumerate(node.value)]

    def _mapping(self, node: MappingNode, loc: Loc) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            line = _line(key_node)
            if not isinstance(key_node, ScalarNode):
                self._flag(loc, line, "a key must be plain text, not a list or mapping")
                continue
            key = str(key_node.value)  # keys are text: `on:` stays "on"
            if key in first_line:
                message = f"duplicate key '{key}' (first at line {first_line[key]})"
                self.problems.append(Problem(self.path, line, message))
                continue
            first_line[key] = line
            self.lines[(*loc, key)] = line
            result[key] = self.build(value_node, (*loc, key))
        return result

    def _scalar(self, node: ScalarNode, loc: Loc) -> Any:
        surprise = self._surprise(node)
        if surprise:
            self._flag(loc, _line(node), surprise)
            return node.value
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            detail = exc.problem if isinstance(exc, yaml.MarkedYAMLError) else str(exc)
            self._flag(loc, _line(node), f"YAML error: {detail}")
            return None

    def _surprise(self, node: ScalarNode) -> str | None:
        """A plain scalar YAML 1.1 reads as something other than the text written."""
        if node.style is not None:  # quoted or block scalars are always text
            return None
        text = node.value
        quote = f'quote it ("{text}") if you mean the text'
        if node.tag == _BOOL and text.lower() not in ("true", "false"):
            meaning = str(yaml.SafeLoader.bool_values[text.lower()]).lower()
            return f"`{text}` is read by YAML as the boolean {meaning}; {quote}"
        if node.tag in _NUMBERS and ":" in text:
            number = self.constructor.construct_object(node)
            return f"`{text}` is read by YAML as the number {number}; {quote}"
        return None

    def _flag(self, loc: Loc, line: int, message: str) -> None:
        self.flagged.add(loc)
        self.problems.append(Problem(self.path, line, message))
