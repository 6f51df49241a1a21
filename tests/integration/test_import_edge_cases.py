"""`nurture leads import` on odd input: what PostgreSQL stores is what SQLite stores.

The PostgreSQL writer (`bulk_pg`) ships a chunk's rows as one JSON text and writes the
ledger in the same statement; the portable ORM writer goes through the services. These
files feed both the same odd text, typed cells, merges and failures, and compare every
row each writes (leads, events, ledger, cached consent, notices).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nurture.consent.ledger import ConsentError, Proof, append, current
from nurture.db import unit_of_work
from nurture.leads import bulk_pg
from nurture.leads.fields import clean_lead
from nurture.leads.importer import ImportConsent, Importer, ImportSummary
from nurture.leads.service import find_lead, upsert_lead
from nurture.leads.sources import Row, Table, read_csv
from nurture.models import ConsentRecord, ConsentState, Event, Lead, Message
from nurture.runtime import Runtime
from tests.conftest import RuntimeFactory
from tests.import_support import on_call
from tests.pipeline import add_lead, withdraw, write_campaign

NOW = datetime(2026, 4, 14, 9, 0, tzinfo=UTC)
CONSENT = ImportConsent("newsletter", "consent", "signed sheet", "w", "h")


def csv_table(rows: list[list[str]]) -> Table:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return read_csv(buffer.getvalue().encode("utf-8"), "list.csv")


def cells_table(headers: list[str], rows: list[list[Any]]) -> Table:
    """Cells as Python values, as an .xlsx sheet hands them over (`sources.cell_value`)."""

    def read() -> Iterator[Row]:
        yield from enumerate(rows, start=2)

    return Table(headers, read, len(rows))


def run_import(
    rt: Runtime,
    table: Table,
    consent: ImportConsent | None = CONSENT,
    now: datetime = NOW,
    chunk_size: int = 10_000,
) -> ImportSummary:
    importer = Importer("fair", consent, rt.settings.suppression_key, now, chunk_size)
    with unit_of_work(rt.sessions) as session:
        return importer.run(session, table)


def counts(summary: ImportSummary) -> tuple[int, ...]:
    return (
        summary.created,
        summary.updated,
        summary.unchanged,
        summary.duplicates,
        summary.consents,
        summary.rejected,
    )


def written(rt: Runtime) -> dict[str, Any]:
    """Every row an import writes, by address, without the ids each database picks."""
    with unit_of_work(rt.sessions) as session:
        leads = list(session.scalars(select(Lead)))
        email: dict[int | None, str] = {lead.id: lead.email for lead in leads}
        skip = {"id", "public_id", "lead_id"}
        columns = [c.key for c in Lead.__table__.columns if c.key not in skip]
        record_columns = [c.key for c in ConsentRecord.__table__.columns if c.key not in skip]
        return {
            "leads": {
                lead.email: {name: getattr(lead, name) for name in columns} for lead in leads
            },
            # Equal dicts may differ in order: the order of keys is part of what is kept.
            "order": {lead.email: (list(lead.attributes), lead.tags) for lead in leads},
            "events": sorted(
                (email[e.lead_id], e.type, e.source, repr(e.data), e.occurred_at)
                for e in session.scalars(select(Event))
            ),
            "records": sorted(
                (
                    (email[r.lead_id], *(getattr(r, name) for name in record_columns))
                    for r in session.scalars(select(ConsentRecord))
                ),
                key=repr,  # some columns are None
            ),
            "states": sorted(
                (email[s.lead_id], s.purpose, s.status, s.basis, s.updated_at)
                for s in session.scalars(select(ConsentState))
            ),
            "messages": sorted(
                (email[m.lead_id], m.kind, m.template, m.status, repr(m.context))
                for m in session.scalars(select(Message))
            ),
        }


Scenario = Callable[[Runtime], list[ImportSummary]]


def on_both(
    make_runtime: RuntimeFactory, sqlite_url: str, pg_url: str, scenario: Scenario
) -> dict[str, Any]:
    """Run `scenario` on SQLite and on PostgreSQL; both must count and write the same.
    Returns what was written (SQLite's, equal to PostgreSQL's)."""
    results = []
    for url in (sqlite_url, pg_url):
        rt = make_runtime(url)
        summaries = scenario(rt)
        results.append(([counts(summary) for summary in summaries], written(rt)))
    (sqlite_counts, sqlite_rows), (pg_counts, pg_rows) = results
    assert sqlite_counts == pg_counts
    for table in sqlite_rows:
        assert sqlite_rows[table] == pg_rows[table], table
    return sqlite_rows


ODD_HEADERS = [
    "email",
    "first name",
    "Plan",
    "plan",
    "PLAN ",
    '"quoted"',
    "back\\slash",
    "0",
    "->>",
    "null",
    "{}",
    "'; DROP TABLE leads; --",
    "ключ",
    "🎉 party",
    "k" * 300,
    "zeta",
    "alpha",
]
ODD_VALUES = {
    "Plan": "v1",
    "plan": "v2",
    "PLAN": "v3",
    '"quoted"': 'say "hi" \\"',
    "back\\slash": "c:\\temp\\n\\u0000",
    "0": "null",
    "->>": "{}",
    "null": "[1, 2]",
    "{}": "\x01\x02\x1b[31mred\x7f",
    "'; DROP TABLE leads; --": "line\u2028sep\u0085nel\ufeff",
    "ключ": "multi\nline\r\nvalue\ttab",
    "🎉 party": "😀 𝄞 \u0301e",
    "k" * 100: "y" * 100_000,
    "zeta": "last",
    "alpha": "first",
}


def test_free_columns_and_odd_text_are_kept_exactly_and_alike(
    make_runtime: RuntimeFactory, sqlite_template: Any, pg_url: str, tmp_path: Path
) -> None:
    """Header names that mean something to JSON or SQL, keys differing only in case,
    control characters, line separators, astral characters, long cells: kept as written,
    in column order, on both databases; the same file again changes nothing."""
    first = ["ana@example.com", "Ana\x07", *ODD_VALUES.values()]
    later = ["  ANA@Example.COM ", "", "later", *[""] * (len(ODD_VALUES) - 1)]
    table = csv_table([ODD_HEADERS, first, later])

    def scenario(rt: Runtime) -> list[ImportSummary]:
        return [run_import(rt, table), run_import(rt, table, now=NOW + timedelta(hours=1))]

    rows = on_both(make_runtime, sqlite_template.fresh(tmp_path), pg_url, scenario)

    ana = rows["leads"]["ana@example.com"]
    assert ana["first_name"] == "Ana\x07"
    assert ana["attributes"] == {**ODD_VALUES, "Plan": "later"}
    assert rows["order"]["ana@example.com"] == (list(ODD_VALUES), [])
    assert ana["updated_at"] == NOW  # the second import changed nothing


def test_typed_cells_are_kept_alike(
    make_runtime: RuntimeFactory, sqlite_template: Any, pg_url: str, tmp_path: Path
) -> None:
    """Numbers and booleans from a spreadsheet stay numbers and booleans, exactly."""
    headers = ["email", "first name", "n", "f", "b", "big", "tiny", "when"]
    table = cells_table(
        headers,
        [
            ["a@example.com", 600123123, 42, 1.5, True, 2**70, 5e-324, "2026-01-01T00:00:00"],
            ["b@example.com", 1.5, 0, 0.1, False, -(2**63), 1e16, ""],
        ],
    )

    def scenario(rt: Runtime) -> list[ImportSummary]:
        return [run_import(rt, table), run_import(rt, table, now=NOW + timedelta(hours=1))]

    rows = on_both(make_runtime, sqlite_template.fresh(tmp_path), pg_url, scenario)

    a, b = rows["leads"]["a@example.com"], rows["leads"]["b@example.com"]
    assert (a["first_name"], b["first_name"]) == ("600123123", "1.5")
    assert a["attributes"] == {
        "n": 42,
        "f": 1.5,
        "b": True,
        "big": 2**70,
        "tiny": 5e-324,
        "when": "2026-01-01T00:00:00",
    }
    assert [type(value) for value in b["attributes"].values()] == [int, float, bool, int, float]


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_a_number_json_cannot_hold_is_rejected_with_its_column(
    db_url: str, make_runtime: RuntimeFactory, value: float
) -> None:
    """An .xlsx cell can say 1E400 (infinity): that row is rejected, naming the column;
    the rest of the file is imported (PostgreSQL refused the whole chunk)."""
    rt = make_runtime(db_url)
    table = cells_table(["email", "score"], [["a@example.com", value], ["b@example.com", 7]])

    summary = run_import(rt, table)

    assert (summary.created, summary.rejected) == (1, 1)
    assert summary.rejects[0].email == "a@example.com"
    assert summary.rejects[0].reason == f"score: {value} is not a finite number"


def test_merges_over_mixed_chunks_write_what_the_orm_writer_writes(
    make_runtime: RuntimeFactory, sqlite_template: Any, pg_url: str, tmp_path: Path
) -> None:
    """Known and new leads interleaved in small chunks (the first a quarter), the same
    address in other case chunks apart, a lead from the API with non-ASCII keys, one who
    withdrew: the same leads, events, ledger and counts on both databases."""
    first = [["email", "first name", "company", "tags", "plan"]]
    first += [[f"k{i}@example.com", f"K{i}", "", "a", "x"] for i in range(12)]
    second = [["email", "first name", "company", "tags", "plan", "Plan"]]
    for i in range(12):
        second.append([f"K{i}@EXAMPLE.com", "", f"Co{i}", "b,a", "y", "Y"])
        second.append([f"n{i}@example.com", f"N{i}", "", "c", "", ""])
    second.append(["W@example.com", "Wanda", "", "", "", ""])
    second.append(["api@example.com", "", "", "", "p", ""])
    second.append(["n0@EXAMPLE.COM", "", "Late", "d", "z", ""])
    later = NOW + timedelta(hours=2)

    def scenario(rt: Runtime) -> list[ImportSummary]:
        summaries = [run_import(rt, csv_table(first), chunk_size=4)]
        write_campaign(rt, "id: x\n")  # purposes.yaml for the form sign-up
        lead_id = add_lead(rt, "w@example.com", NOW - timedelta(days=1))
        withdraw(rt, lead_id, "newsletter", NOW - timedelta(hours=1))
        with unit_of_work(rt.sessions) as session:
            clean = clean_lead({"email": "api@example.com", "ñandú": "sí", "n": 1})
            upsert_lead(session, clean, source="api", now=NOW, event_source="api")
        summaries.append(run_import(rt, csv_table(second), chunk_size=8, now=later))
        summaries.append(run_import(rt, csv_table(second), chunk_size=8, now=later))
        return summaries

    rows = on_both(make_runtime, sqlite_template.fresh(tmp_path), pg_url, scenario)

    k0, n0 = rows["leads"]["k0@example.com"], rows["leads"]["n0@example.com"]
    assert (k0["first_name"], k0["company"], k0["tags"]) == ("K0", "Co0", ["a", "b"])
    assert k0["attributes"] == {"plan": "y", "Plan": "Y"}
    assert (n0["first_name"], n0["company"], n0["tags"]) == ("N0", "Late", ["c", "d"])
    assert rows["order"]["api@example.com"] == (["ñandú", "n", "plan"], [])
    assert rows["leads"]["w@example.com"]["first_name"] == "Wanda"
    assert ("w@example.com", "newsletter", "withdrawn", "consent", NOW - timedelta(hours=1)) in (
        rows["states"]
    )
    assert [r for r in rows["records"] if r[0] == "w@example.com" and CONSENT.proof in r] == []


def test_a_withdrawal_made_while_the_import_runs_is_not_overridden(
    db_url: str, make_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The address appears (and withdraws) between the importer's read and its insert:
    the lead is merged, not duplicated, and gets no grant from the import."""
    rt = make_runtime(db_url)

    def ana_appears(session: Session, _emails: Sequence[str]) -> dict[str, Any]:
        clean = clean_lead({"email": "ana@acme.example"})
        ana, _ = upsert_lead(session, clean, source="api", now=NOW, event_source="api")
        append(session, ana, "newsletter", "withdrawn", Proof(source="link"), NOW)
        return {}  # the importer's read sees nothing; then Ana appears

    on_call(monkeypatch, "existing", 1, ana_appears)
    table = csv_table(
        [["email", "company"], ["ana@acme.example", "Acme"], ["bo@acme.example", "Bo"]]
    )

    summary = run_import(rt, table)

    assert (summary.created, summary.updated, summary.consents) == (1, 1, 1)
    with unit_of_work(rt.sessions) as session:
        ana = find_lead(session, "ana@acme.example")
        assert ana is not None
        assert ana.company == "Acme"
        assert current(session, ana.id)["newsletter"].status == "withdrawn"
        assert session.scalar(select(func.count()).select_from(Lead)) == 2


class DiskFull(RuntimeError):
    pass


def test_a_failure_in_a_later_chunk_leaves_nothing_behind(
    db_url: str, make_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks written before the failure are not kept: one import, one transaction (on
    SQLite the first chunk's leads used to stay, without their events and consent)."""
    rt = make_runtime(db_url)

    def disk_full(*_args: Any) -> None:
        raise DiskFull("no space left on device")

    on_call(monkeypatch, "create", 3, disk_full)
    table = csv_table([["email"], *([f"l{i}@example.com"] for i in range(40))])

    with pytest.raises(DiskFull):
        run_import(rt, table, chunk_size=8)

    with unit_of_work(rt.sessions) as session:
        for model in (Lead, Event, ConsentRecord, ConsentState):
            assert session.scalar(select(func.count()).select_from(model)) == 0, model


def test_an_import_consent_without_proof_is_refused_before_anything_is_written(
    db_url: str, make_runtime: RuntimeFactory
) -> None:
    """The ledger's rule holds on both writers (PostgreSQL's used to record the grant)."""
    rt = make_runtime(db_url)
    table = csv_table([["email"], ["a@example.com"], ["b@example.com"]])

    with pytest.raises(ConsentError, match="needs a proof"):
        run_import(rt, table, ImportConsent("newsletter", "consent", ""))

    with unit_of_work(rt.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Lead)) == 0


def test_an_import_clock_in_local_time_stores_the_same_instants(
    make_runtime: RuntimeFactory, sqlite_template: Any, pg_url: str, tmp_path: Path
) -> None:
    """`now` given in Madrid time across both DST changes: stored as the UTC instants;
    the merge's check of `updated_at` still matches on PostgreSQL."""
    madrid = ZoneInfo("Europe/Madrid")
    first = csv_table([["email", "name", "tz"], ["a@example.com", "Ana", "Europe/Madrid"]])
    second = csv_table([["email", "name", "tz"], ["a@example.com", "Anna", "America/New_York"]])

    def scenario(rt: Runtime) -> list[ImportSummary]:
        return [
            run_import(rt, first, now=datetime(2026, 3, 29, 3, 30, tzinfo=madrid)),
            run_import(rt, second, now=datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=madrid)),
            run_import(rt, second, now=datetime(2026, 10, 25, 2, 30, fold=0, tzinfo=madrid)),
        ]

    rows = on_both(make_runtime, sqlite_template.fresh(tmp_path), pg_url, scenario)

    ana = rows["leads"]["a@example.com"]
    assert ana["created_at"] == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert ana["updated_at"] == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert (ana["first_name"], ana["timezone"]) == ("Anna", "America/New_York")


def test_a_chunk_too_big_for_one_jsonb_value_goes_in_parts(
    make_runtime: RuntimeFactory,
    sqlite_template: Any,
    pg_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PostgreSQL refuses jsonb over 256 MiB (10,000 rows of ~27 KB notes); the writer
    halves a payload over its limit, here made small, and writes the same rows."""
    monkeypatch.setattr(bulk_pg, "_MAX_PAYLOAD", 1_000)
    headers = [["email", "first name", "notes"]]
    before = headers + [[f"l{i}@example.com", f"L{i}", "a" * 150] for i in range(9)]
    after = headers + [[f"l{i}@example.com", "", "b" * 150] for i in range(11)]

    def scenario(rt: Runtime) -> list[ImportSummary]:
        return [
            run_import(rt, csv_table(before)),
            run_import(rt, csv_table(after), now=NOW + timedelta(hours=1)),
        ]

    rows = on_both(make_runtime, sqlite_template.fresh(tmp_path), pg_url, scenario)

    assert len(rows["leads"]) == 11
    assert rows["leads"]["l8@example.com"]["attributes"] == {"notes": "b" * 150}
    assert len([e for e in rows["events"] if e[1] == "consent_granted"]) == 11


def test_past_its_savepoints_an_import_writes_the_same_rows(
    make_runtime: RuntimeFactory,
    sqlite_template: Any,
    pg_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A long import stops taking savepoints (PostgreSQL caches 64 subtransactions) and
    writes through ON CONFLICT instead: the same rows, new and merged alike."""
    monkeypatch.setattr(bulk_pg, "SAVEPOINTS", 1)
    headers = [["email", "first name"]]
    first = headers + [[f"s{i}@example.com", f"S{i}"] for i in range(7)]
    second = headers + [[f"s{i}@example.com", f"T{i}"] for i in range(3, 12)]

    def scenario(rt: Runtime) -> list[ImportSummary]:
        return [
            run_import(rt, csv_table(first), chunk_size=2),
            run_import(rt, csv_table(second), now=NOW + timedelta(hours=1), chunk_size=2),
        ]

    rows = on_both(make_runtime, sqlite_template.fresh(tmp_path), pg_url, scenario)

    assert len(rows["leads"]) == 12
    assert rows["leads"]["s3@example.com"]["first_name"] == "T3"
    assert len([e for e in rows["events"] if e[1] == "consent_granted"]) == 12
