"""The staging table of the PostgreSQL importer, filled with `COPY`.

A temporary table, dropped at commit, with every merged lead column as text: `COPY` is
the fastest way into PostgreSQL, and the `INSERT … SELECT` / `UPDATE … FROM` that follow
cast the JSON columns back. New leads and updates share it; each use empties it first.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, MetaData, Table, Text, cast, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from nurture.leads.merge import MERGED_COLUMNS
from nurture.leads.writers import NewLead, Update

_JSON_COLUMNS = ("tags", "attributes")
# The source column comes last of the text ones: a new lead takes `--source` when its
# row has none.
_PLAIN_COLUMNS = tuple(name for name in MERGED_COLUMNS if name not in (*_JSON_COLUMNS, "source"))
STAGED = (*_PLAIN_COLUMNS, "source", *_JSON_COLUMNS)
STAGE = Table(
    "nurture_import_stage",
    MetaData(),
    Column("id", BigInteger),
    Column("public_id", Text),
    Column("email", Text),
    Column("seen", DateTime(timezone=True)),
    *(Column(name, Text) for name in STAGED),
)
_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]
# json.dumps builds an encoder per call when given options; one, reused, is 3x faster.
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


def staged_column(name: str) -> Any:
    column = STAGE.c[name]
    return cast(column, JSON) if name in _JSON_COLUMNS else column


def _new_row(new: NewLead, public_id: str) -> tuple[Any, ...]:
    fields = new.clean.fields
    return (
        None,
        public_id,
        new.clean.email,
        None,
        *(fields.get(name) for name in _PLAIN_COLUMNS),
        fields.get("source") or new.default_source,
        _json(new.clean.tags, "[]"),
        _json(new.clean.attributes, "{}"),
    )


def _update_row(update: Update) -> tuple[Any, ...]:
    values = update.values
    return (
        update.id,
        None,
        None,
        update.seen,
        *(values.get(name) for name in _PLAIN_COLUMNS),
        values.get("source"),
        _json(values.get("tags"), "[]"),
        _json(values.get("attributes"), "{}"),
    )


def _json(value: Any, empty: str) -> str:
    return _ENCODE(value) if value else empty


def stage_new(session: Session, leads: Sequence[NewLead]) -> None:
    ids = public_ids(len(leads))
    _fill(
        session,
        STAGE,
        (_new_row(new, public_id) for new, public_id in zip(leads, ids, strict=True)),
    )


def stage_updates(session: Session, updates: Iterable[Update]) -> None:
    _fill(session, STAGE, (_update_row(update) for update in updates))


def _fill(session: Session, table: Table, rows: Iterable[tuple[Any, ...]]) -> None:
    """Create the temporary table if needed, empty it, and `COPY` the rows in."""
    columns = ", ".join(f"{c.name} {c.type.compile(dialect=_DIALECT)}" for c in table.columns)
    session.execute(
        text(f"CREATE TEMPORARY TABLE IF NOT EXISTS {table.name} ({columns}) ON COMMIT DROP")
    )
    session.execute(text(f"TRUNCATE {table.name}"))
    names = ", ".join(c.name for c in table.columns)
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def public_ids(count: int) -> list[str]:
    """`new_public_id()` × count from one read of the random source (same format)."""
    raw = os.urandom(16 * count)
    encode = base64.urlsafe_b64encode
    return [encode(raw[i : i + 16]).rstrip(b"=").decode("ascii") for i in range(0, 16 * count, 16)]
