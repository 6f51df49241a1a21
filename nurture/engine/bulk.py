"""Bulk writes for the scheduler's hot path: one COPY and one statement per batch.

On PostgreSQL a batch goes into a session-local staging table with COPY (row
formatting happens in psycopg's C code) and is merged with a single INSERT … SELECT or
UPDATE … FROM. Measured on this machine for 20,000 message rows: COPY + merge 1.3 s,
executemany in pipeline mode 1.8 s, arrays through unnest() 2.5 s (list dumping is pure
Python), the ORM's unit of work about ten times slower (one UPDATE per row). SQLite is
embedded (no round trips), so plain executemany is right there.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, bindparam, text, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session
from sqlalchemy.types import JSON

from nurture.db import is_postgres


def insert_ignoring_conflicts(
    session: Session, table: Table, rows: Sequence[dict[str, Any]]
) -> list[int]:
    """Insert rows, skip those that violate a unique key; returns the new rows' ids."""
    if not rows:
        return []
    columns = list(rows[0])
    if is_postgres(session):
        stage = _stage(session, table, columns, rows)
        names = ", ".join(columns)
        statement = text(
            f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {stage} "  # noqa: S608
            "ON CONFLICT DO NOTHING RETURNING id"
        )
        return list(session.execute(statement).scalars())
    insert = sqlite.insert(table).on_conflict_do_nothing().returning(table.c.id)
    return [row.id for row in session.execute(insert, list(rows))]


def update_by_id(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Update each row (a dict with `id` and the columns to set)."""
    if not rows:
        return
    columns = [col for col in rows[0] if col != "id"]
    if is_postgres(session):
        stage = _stage(session, table, ["id", *columns], rows)
        assignments = ", ".join(f"{col} = s.{col}" for col in columns)
        session.execute(
            text(
                f"UPDATE {table.name} SET {assignments} FROM {stage} AS s "  # noqa: S608
                f"WHERE {table.name}.id = s.id"
            )
        )
        return
    many = (
        update(table)
        .where(table.c.id == bindparam("v_id"))
        .values({col: bindparam(f"v_{col}") for col in columns})
    )
    session.connection().execute(many, [{f"v_{k}": v for k, v in row.items()} for row in rows])


def _stage(
    session: Session, table: Table, columns: list[str], rows: Sequence[dict[str, Any]]
) -> str:
    """COPY the rows into a temporary table shaped like `columns` of `table`.

    Only identifiers from our own table metadata are formatted into SQL; values travel
    through COPY. The staging table lives as long as the connection and is emptied at
    every use and at commit.
    """
    digest = hashlib.sha1(",".join(columns).encode(), usedforsecurity=False).hexdigest()[:8]
    stage = f"stage_{table.name}_{digest}"
    names = ", ".join(columns)
    session.execute(
        text(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "  # noqa: S608
            f"SELECT {names} FROM {table.name} WITH NO DATA"
        )
    )
    session.execute(text(f"DELETE FROM {stage}"))  # noqa: S608
    json_columns = {col for col in columns if isinstance(table.c[col].type, JSON)}
    driver = session.connection().connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(f"COPY {stage} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(
                [json.dumps(row[col]) if col in json_columns else row[col] for col in columns]
            )
    return stage
