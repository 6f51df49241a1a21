"""Importer tests: something happening at a chosen moment of an import."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from nurture.leads import importer as importer_module
from nurture.leads import writers


def on_call(
    monkeypatch: pytest.MonkeyPatch, method: str, number: int, instead: Callable[..., Any]
) -> None:
    """The importer's writers run `instead(*args)` in place of call `number` (1-based,
    counted over all of an import's writers) of their `method`, and the real method on
    every other call: a lead created between the importer's read and its insert, or a
    failure half-way through a file."""
    original = writers.writer_for
    calls = itertools.count(1)  # thread-safe: a PostgreSQL import has two writers

    def patched(session: Session) -> writers.Writer:
        writer = original(session)
        real = getattr(writer, method)

        def wrapped(*args: Any) -> Any:
            return instead(*args) if next(calls) == number else real(*args)

        setattr(writer, method, wrapped)
        return writer

    monkeypatch.setattr(importer_module, "writer_for", patched)
