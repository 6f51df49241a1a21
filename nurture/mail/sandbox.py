"""The Jinja2 environment for marketer-authored templates, which are untrusted.

`ImmutableSandboxedEnvironment` blocks attribute access to internals (``__class__``,
``__globals__``, ``_private``) and mutation of lists and dicts; `StrictUndefined` makes a
misspelt variable an error instead of an empty string in a sent e-mail. On top, ``*`` and
``**`` are capped so ``{{ 'x' * 10**12 }}`` fails instead of exhausting memory while a
campaign is being validated.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_REPEAT = 100_000  # characters or items a `*` may produce
MAX_EXPONENT = 1_000


class TemplateSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"exponent {right} is larger than {MAX_EXPONENT}")
        if operator == "*" and _repeated_size(left, right) > MAX_REPEAT:
            raise SecurityError(f"repetition would produce more than {MAX_REPEAT} items")
        return super().call_binop(context, operator, left, right)


def _repeated_size(left: Any, right: Any) -> int:
    for sequence, count in ((left, right), (right, left)):
        if isinstance(sequence, str | list | tuple) and isinstance(count, int):
            return len(sequence) * count
    return 0


def make_environment(templates_dir: Path) -> TemplateSandbox:
    """Autoescape for ``.html`` files only: ``.txt`` parts and subjects are plain text."""
    environment = TemplateSandbox(
        loader=FileSystemLoader(templates_dir),
        autoescape=select_autoescape(("html", "htm", "xml"), default_for_string=False),
        undefined=StrictUndefined,
        # Block tags on their own line leave no blank line: matters for .txt parts.
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # `lipsum(n=10**6)` would fill memory; placeholder text has no place in a sent email.
    del environment.globals["lipsum"]
    return environment
