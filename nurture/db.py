"""Engine, session factory and the unit of work.

One session per unit of work, owned by the entry point (a request, an actor message, a CLI
command): services take a ``Session`` and never commit. Work that must only happen once the
data is durable — enqueueing a Dramatiq message — is registered with :func:`after_commit`
and runs after the commit succeeded, never before (a worker must not race its own row).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import any_, bindparam, create_engine, event, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

log = logging.getLogger(__name__)

SessionFactory = sessionmaker[Session]
_AFTER_COMMIT = "nurture.after_commit"


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # A sender thread holds its batch's connection and may take a second one to record a
    # failure: 8 worker threads can need 16, one more than SQLAlchemy's default 5 + 10.
    if "poolclass" not in kwargs:  # NullPool (tests, one-shot tools) takes no sizes
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 10)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the web process read while the worker writes; foreign keys are off by
    # default in SQLite and our ON DELETE rules depend on them.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def lock_for_writing(session: Session) -> None:
    """Serialise this unit of work with other writers from its start (SQLite only).

    Two scheduler passes that read the same due rows and then both wrote would apply the
    same step twice. A write statement takes SQLite's write lock, so one that changes
    nothing, issued first, makes a concurrent pass wait here until this one has committed,
    and then read its result. (Python's sqlite3 begins the transaction just before it.)
    PostgreSQL needs nothing: the planner's FOR UPDATE SKIP LOCKED keeps passes apart.
    """
    if not is_postgres(session):
        session.execute(text("UPDATE campaign_states SET paused = paused WHERE 0 = 1"))


@contextmanager
def savepoint(session: Session) -> Iterator[SessionTransaction]:
    """`session.begin_nested()`, a savepoint on SQLite too. Python's sqlite3 opens no
    transaction before a SAVEPOINT, so SQLite would take the first savepoint of a unit of
    work for its transaction, and releasing it would commit everything written so far:
    a request or an import failing afterwards would be left half done. A write
    statement first (`lock_for_writing`) opens the transaction the unit of work commits."""
    lock_for_writing(session)
    with session.begin_nested() as nested:
        yield nested


def make_session_factory(engine: Engine) -> SessionFactory:
    return sessionmaker(engine, expire_on_commit=False)


def is_postgres(session_or_engine: Session | Engine) -> bool:
    bind = (
        session_or_engine.get_bind()
        if isinstance(session_or_engine, Session)
        else session_or_engine
    )
    return bind.dialect.name == "postgresql"


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the unit of work that owns ``session`` has committed."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


@contextmanager
def unit_of_work(factory: SessionFactory) -> Iterator[Session]:
    """Open a session, commit once at the end, then run the after-commit callbacks.

    A callback that fails is logged and does not undo the commit: its work is
    recoverable by design (the scheduler re-enqueues rows that never reached the broker).
    """
    session = factory()
    try:
        yield session
        session.commit()
        callbacks = session.info.pop(_AFTER_COMMIT, [])
    except BaseException:
        session.rollback()
        session.info.pop(_AFTER_COMMIT, None)
        raise
    finally:
        session.close()
    for callback in callbacks:
        try:
            callback()
        except Exception:
            log.exception("after-commit callback failed; the next scheduler pass recovers it")


def member_of(session: Session, column: Any, values: Iterable[Any]) -> Any:
    """`column IN values`, cheap for thousands of values.

    SQLAlchemy renders `IN` with one placeholder per value, and psycopg then parses a
    statement of thousands of placeholders (profiled: the largest cost of a scheduler
    batch). On PostgreSQL the values travel as one array: `column = ANY(:values)`.
    """
    items = list(values)
    if is_postgres(session):
        return column == any_(bindparam(None, items, type_=postgresql.ARRAY(column.type)))
    return column.in_(items)
