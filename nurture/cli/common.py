"""What the commands share: the runtime, the clock option and user-facing errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import click

from nurture.clock import parse_instant
from nurture.runtime import Runtime, runtime_from_env


class UserError(Exception):
    """A problem the user must fix: printed as one line, exit status 1."""


@contextmanager
def runtime() -> Iterator[Runtime]:
    rt = runtime_from_env()
    try:
        yield rt
    finally:
        rt.close()


def instant(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_instant(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date and time") from None
