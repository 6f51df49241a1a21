"""A PostgreSQL import writes through two connections: both or neither keep their chunks.

The writers share the chunks of one file (`importer`: each address is in exactly one);
these tests pin which connection writes what, so that each side's work can be seen kept
on success and rolled back when the other side fails.
"""

from __future__ import annotations

import csv
import io
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nurture.db import unit_of_work
from nurture.leads import importer as importer_module
from nurture.leads import writers
from nurture.leads.importer import ImportConsent, Importer
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
    buffer = io.StringIO(newline="")
    rows = [["email", "company"], *([f"l{i}@example.com", f"Co {i}"] for i in range(count))]
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
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


def run(factory: RuntimeFactory, url: str, rows: int) -> None:
    rt = factory(url)
    with unit_of_work(rt.sessions) as session:
        Importer("fair", CONSENT, rt.settings.suppression_key, NOW, chunk_size=20).run(
            session, table(rows)
        )


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
