"""A PostgreSQL import writes through two connections: both or neither keep their chunks.

The writers share the chunks of one file (`importer`: each address is in exactly one);
these tests pin which connection writes what, so that each side's work can be seen kept
on success and rolled back when the other side fails.
"""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from nurture.db import unit_of_work
from nurture.leads import bulk_pg, writers
from nurture.leads import importer as importer_module
from nurture.leads.fields import clean_lead
from nurture.leads.importer import ConcurrentChanges, ImportConsent, Importer
from nurture.leads.service import upsert_lead
from nurture.leads.sources import Table, read_csv
from nurture.models import ConsentRecord, ConsentState, Event, Lead
from tests.conftest import RuntimeFactory
from tests.services import SqliteTemplate

NOW = datetime(2026, 4, 14, 9, 0, tzinfo=UTC)
CONSENT = ImportConsent("newsletter", "consent", "signed sheet", "w", "h")
WAIT = 20  # seconds: a writer waiting for the other longer than this is a failed test


class DiskFull(RuntimeError):
    pass


def table(count: int) -> Table:
    return table_of([[f"l{i}@example.com", f"Co {i}"] for i in range(count)])


def table_of(rows: list[list[str]]) -> Table:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows([["email", "company"], *rows])
    return read_csv(buffer.getvalue().encode("utf-8"), "list.csv")


class Lanes:
    """Records what each connection (0: the caller's session, 1: the helper's) created.

    With `pair`, connection 0 writes its second chunk only once connection 1 has written
    one, so both write whatever the thread scheduling; `failing` fails the second chunk of that
    connection once the other one has written."""

    def __init__(
        self, monkeypatch: pytest.MonkeyPatch, failing: int | None = None, pair: bool = True
    ) -> None:
        self.sessions: list[Session] = []
        self.created: list[list[str]] = []
        wrote = [threading.Event(), threading.Event()]
        original = writers.writer_for

        def writer_for(session: Session) -> writers.Writer:
            writer = original(session)
            lane = len(self.sessions)
            self.sessions.append(session)
            self.created.append([])
            real = writer.create

            def create(*args: Any) -> dict[str, int]:
                if pair and self.created[lane] and lane in (0, failing):
                    assert wrote[1 - lane].wait(WAIT), "the other connection wrote nothing"
                    if lane == failing:
                        raise DiskFull("no space left on device")
                made = real(*args)
                self.created[lane] += list(made)
                wrote[lane].set()
                return made

            writer.create = create  # type: ignore[method-assign,assignment]
            return writer

        monkeypatch.setattr(importer_module, "writer_for", writer_for)


def run(
    factory: RuntimeFactory,
    url: str,
    rows: int | Table,
    chunk_size: int = 20,
    waiting: Callable[[], None] = lambda: None,
) -> None:
    rt = factory(url)
    importer = Importer("fair", CONSENT, rt.settings.suppression_key, NOW, chunk_size)
    with unit_of_work(rt.sessions) as session:
        importer.run(session, table(rows) if isinstance(rows, int) else rows, waiting=waiting)


def stored(factory: RuntimeFactory, url: str) -> dict[str, int]:
    with unit_of_work(factory(url).sessions) as session:
        return {
            model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Lead, Event, ConsentRecord, ConsentState)
        }


def test_both_connections_write_and_both_commit(
    pg_url: str, make_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    lanes = Lanes(monkeypatch)
    run(make_runtime, pg_url, 200)

    assert len(lanes.sessions) == 2
    assert len({id(session) for session in lanes.sessions}) == 2
    assert all(lanes.created), "one of the connections wrote no chunk"
    assert sorted(lanes.created[0] + lanes.created[1]) == sorted(
        f"l{i}@example.com" for i in range(200)
    )
    assert stored(make_runtime, pg_url) == {
        "Lead": 200,
        "Event": 400,  # lead_created, consent_granted
        "ConsentRecord": 200,
        "ConsentState": 200,
    }


@pytest.mark.parametrize("failing", [0, 1], ids=["caller's connection", "helper connection"])
def test_a_failure_on_either_connection_rolls_back_both(
    pg_url: str, make_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch, failing: int
) -> None:
    lanes = Lanes(monkeypatch, failing)

    with pytest.raises(DiskFull):
        run(make_runtime, pg_url, 200)

    assert lanes.created[1 - failing], "the other connection wrote nothing to roll back"
    assert stored(make_runtime, pg_url) == dict.fromkeys(
        ("Lead", "Event", "ConsentRecord", "ConsentState"), 0
    )


def test_a_session_with_its_own_writes_imports_alone(
    pg_url: str, make_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A helper could not see the caller's uncommitted lead, and would wait for it."""
    lanes = Lanes(monkeypatch, pair=False)
    rt = make_runtime(pg_url)
    importer = Importer("fair", CONSENT, rt.settings.suppression_key, NOW, chunk_size=20)
    with unit_of_work(rt.sessions) as session:
        upsert_lead(
            session,
            clean_lead({"email": "l42@example.com"}),
            source="api",
            now=NOW,
            event_source="api",
        )
        summary = importer.run(session, table(100))

    assert len(lanes.sessions) == 1
    assert (summary.created, summary.updated) == (99, 1)
    assert stored(make_runtime, pg_url)["Lead"] == 100


def test_sqlite_imports_through_one_connection(
    sqlite_template: SqliteTemplate,
    tmp_path: Path,
    make_runtime: RuntimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sqlite_url = sqlite_template.fresh(tmp_path)
    lanes = Lanes(monkeypatch, pair=False)
    run(make_runtime, sqlite_url, 50)
    assert len(lanes.sessions) == 1
    assert stored(make_runtime, sqlite_url)["Lead"] == 50


def known_leads(factory: RuntimeFactory, url: str, *emails: str) -> None:
    with unit_of_work(factory(url).sessions) as session:
        for email in emails:
            upsert_lead(
                session, clean_lead({"email": email}), source="api", now=NOW, event_source="api"
            )


def test_a_second_import_waits_for_the_first(pg_url: str, make_runtime: RuntimeFactory) -> None:
    """Imports take turns (a transaction holding the import lock stands for the first)."""
    rt = make_runtime(pg_url)
    told = threading.Event()
    done = threading.Event()

    def second() -> None:
        run(make_runtime, pg_url, 30, waiting=told.set)
        done.set()

    with unit_of_work(rt.sessions) as first:
        first.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": bulk_pg.IMPORT_LOCK})
        thread = threading.Thread(target=second)
        thread.start()
        assert told.wait(WAIT), "the second import was not told it waits"
        time.sleep(0.3)
        assert not done.is_set(), "the second import ran alongside the first"
    thread.join(WAIT)
    assert done.is_set()
    assert stored(make_runtime, pg_url)["Lead"] == 30


def test_a_lead_locked_too_long_fails_the_import_and_keeps_nothing(
    pg_url: str, make_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk_pg, "LOCK_TIMEOUT_S", 1)
    known_leads(make_runtime, pg_url, "p@example.com")
    rows = [["p@example.com", "Acme"], *([f"n{i}@example.com", "N"] for i in range(10))]

    with unit_of_work(make_runtime(pg_url).sessions) as holder:
        holder.execute(text("SELECT id FROM leads WHERE email = 'p@example.com' FOR UPDATE"))
        with pytest.raises(ConcurrentChanges, match="locked for too long"):
            run(make_runtime, pg_url, table_of(rows))

    assert stored(make_runtime, pg_url)["Lead"] == 1


def test_a_wait_through_both_connections_ends_instead_of_hanging(
    pg_url: str, make_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Connection 1 changes P; another transaction T holds Q and waits for P; connection 2
    then waits for Q. The server sees two waits but no cycle (connection 1 only commits
    with connection 2): without a lock timeout all three would wait forever."""
    monkeypatch.setattr(bulk_pg, "LOCK_TIMEOUT_S", 1)
    known_leads(make_runtime, pg_url, "p@example.com", "q@example.com")
    p_locked, second_started, t_waits = threading.Event(), threading.Event(), threading.Event()
    t_done: list[str] = []
    with unit_of_work(make_runtime(pg_url).sessions) as session:
        ids = {email: lead_id for email, lead_id in session.execute(select(Lead.email, Lead.id))}
    p_id, q_id = ids["p@example.com"], ids["q@example.com"]
    original = writers.writer_for

    def writer_for(session: Session) -> writers.Writer:
        writer = original(session)
        real = writer.update

        def changing(session: Session, updates: list[writers.Update], now: datetime) -> set[int]:
            changed = {update.id for update in updates}
            if q_id in changed:  # the other connection, since P's is held below
                second_started.set()
                assert t_waits.wait(WAIT)
                time.sleep(0.3)  # T is now blocked on P
            result = real(session, updates, now)
            if p_id in changed:
                p_locked.set()
                assert second_started.wait(WAIT)
            return result

        writer.update = changing  # type: ignore[method-assign,assignment]
        return writer

    monkeypatch.setattr(importer_module, "writer_for", writer_for)

    def other_transaction() -> None:
        with unit_of_work(make_runtime(pg_url).sessions) as session:
            session.execute(text("SELECT id FROM leads WHERE email = 'q@example.com' FOR UPDATE"))
            assert p_locked.wait(WAIT)
            t_waits.set()
            session.execute(update(Lead).where(Lead.email == "p@example.com").values(score=5))
        t_done.append("committed")

    holder = threading.Thread(target=other_transaction)
    holder.start()
    rows = [["p@example.com", "Acme"], ["q@example.com", "Qux"]]
    started = time.monotonic()
    with pytest.raises(ConcurrentChanges):
        run(make_runtime, pg_url, table_of(rows), chunk_size=4)
    holder.join(WAIT)

    assert time.monotonic() - started < WAIT
    assert t_done == ["committed"]  # T went on once the import rolled back
    with unit_of_work(make_runtime(pg_url).sessions) as session:
        companies = session.scalars(select(Lead.company).order_by(Lead.email)).all()
    assert companies == [None, None]
