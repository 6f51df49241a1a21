"""`nurture leads import`: a messy 1,000-row list, as CSV and .xlsx, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import os
import subprocess
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nurture.config import Settings
from nurture.consent.ledger import current, fold, records_of
from nurture.consent.suppression import suppress
from nurture.db import unit_of_work
from nurture.leads.fields import clean_lead
from nurture.leads.importer import ImportConsent, Importer, ImportSummary
from nurture.leads.notices import ART14_NOTICE
from nurture.leads.service import find_lead, upsert_lead
from nurture.leads.sources import open_table
from nurture.models import ConsentRecord, ConsentState, Event, Lead, Message
from nurture.runtime import Runtime
from tests import leadfiles
from tests.conftest import RuntimeFactory
from tests.import_support import on_call
from tests.integration.test_cli import NURTURE, run
from tests.pipeline import add_lead, write_campaign

NOW = datetime(2026, 4, 14, 9, 0, tzinfo=UTC)
CONSENT = ImportConsent("newsletter", "consent", "Feria Lead Madrid 2026, signed sheet", "w", "h")


def write_file(tmp_path: Path, kind: str) -> Path:
    if kind == "xlsx":
        return leadfiles.write_xlsx(tmp_path / "leads.xlsx")
    encoding = {"utf-8 with BOM": "utf-8-sig", "latin-1": "latin-1"}[kind]
    return leadfiles.write_csv(tmp_path / "leads.csv", encoding)


def prepare(rt: Runtime) -> None:
    """Addresses 900..909 asked not to be mailed; address 0 is already a lead from the web."""
    with unit_of_work(rt.sessions) as session:
        for index in range(900, 910):
            suppress(
                session, rt.settings.suppression_key, leadfiles.address(index), "objected", NOW
            )
        clean = clean_lead({"email": leadfiles.address(0), "first_name": "Pepa"})
        upsert_lead(session, clean, source="web", now=NOW - timedelta(days=3), event_source="form")


def import_file(rt: Runtime, path: Path, consent: ImportConsent | None = CONSENT) -> ImportSummary:
    importer = Importer("feria-2026", consent, rt.settings.suppression_key, NOW)
    with unit_of_work(rt.sessions) as session:
        return importer.run(session, open_table(path))


def snapshot(rt: Runtime) -> dict[str, Any]:
    """Everything an import writes, in a comparable form."""
    with unit_of_work(rt.sessions) as session:
        leads = [
            tuple(getattr(lead, c.key) for c in Lead.__table__.columns)
            for lead in session.scalars(select(Lead).order_by(Lead.id))
        ]
        counts = {
            model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (Event, ConsentRecord, ConsentState, Message)
        }
    return {"leads": leads, **counts}


@pytest.mark.parametrize("kind", ["utf-8 with BOM", "latin-1", "xlsx"])
def test_messy_list_counts_merges_and_a_second_import_changes_nothing(
    db_url: str, make_runtime: RuntimeFactory, tmp_path: Path, kind: str
) -> None:
    """Headers, duplicates in other case, bad rows, accents: exact counts, and idempotent."""
    rt = make_runtime(db_url)
    prepare(rt)
    path = write_file(tmp_path, kind)

    summary = import_file(rt, path)

    assert (summary.rows, summary.created, summary.updated, summary.unchanged) == (1000, 899, 1, 0)
    assert (summary.duplicates, summary.consents, summary.rejected) == (50, 900, 50)
    assert summary.reasons() == Counter({"email": 30, "country": 10, "suppressed": 10})
    rejected_rows = sorted(reject.row for reject in summary.rejects)
    assert len(set(rejected_rows)) == 50
    assert rejected_rows[0] > 400  # the bad rows come after the first 400
    with unit_of_work(rt.sessions) as session:
        merged = find_lead(session, leadfiles.address(4).upper())
        assert merged is not None
        assert (merged.first_name, merged.last_name) == ("Núria", "Castaño")
        assert merged.job_title == "Directora"  # only the later, upper-case row had it
        assert merged.tags == ["feria", "vip"]
        assert merged.attributes == {"Notas internas": "ok"}
        assert (merged.company, merged.country, merged.source) == ("Compañía 4", "ES", "feria-2026")
        assert merged.phone == "+34 600 000004"
        known = find_lead(session, leadfiles.address(0))
        assert known is not None
        assert (known.first_name, known.source) == ("José", "web")  # first touch kept
        assert find_lead(session, leadfiles.address(905)) is None
        assert current(session, known.id)["newsletter"].status == "given"
    before = snapshot(rt)

    again = import_file(rt, path)

    assert (again.created, again.updated, again.unchanged, again.consents) == (0, 0, 900, 0)
    assert (again.duplicates, again.rejected) == (50, 50)
    assert snapshot(rt) == before


def test_the_ledger_cache_matches_its_fold_after_a_bulk_import(
    db_url: str, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    """The set-based writer keeps `consent_states` equal to the fold of the ledger."""
    rt = make_runtime(db_url)
    import_file(rt, leadfiles.write_csv(tmp_path / "leads.csv"))
    with unit_of_work(rt.sessions) as session:
        for lead in session.scalars(select(Lead).limit(50)):
            assert current(session, lead.id) == fold(records_of(session, lead.id))
            record = records_of(session, lead.id)[0]
            assert (record.source, record.proof, record.basis) == (
                "import",
                CONSENT.proof,
                "consent",
            )


def test_sqlite_and_postgresql_import_the_same_leads(
    make_runtime: RuntimeFactory, sqlite_template: Any, pg_url: str, tmp_path: Path
) -> None:
    """The ORM writer (SQLite) and the COPY writer (PostgreSQL) produce the same leads."""
    path = leadfiles.write_csv(tmp_path / "leads.csv", "latin-1")
    results: list[Any] = []
    for url in (sqlite_template.fresh(tmp_path), pg_url):
        rt = make_runtime(url)
        prepare(rt)
        import_file(rt, path)
        with unit_of_work(rt.sessions) as session:
            rows = session.scalars(select(Lead).order_by(Lead.email))
            skip = {"id", "public_id", "created_at", "updated_at"}
            results.append(
                [
                    {
                        c.key: getattr(lead, c.key)
                        for c in Lead.__table__.columns
                        if c.key not in skip
                    }
                    for lead in rows
                ]
            )
            events = Counter(session.scalars(select(Event.type)))
            results.append(events)
    assert results[0] == results[2]
    assert results[1] == results[3]


def test_legitimate_interest_refuses_consumers_and_queues_art14_notices(
    db_url: str, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    """B2B rows get the ledger record and one art. 14 notice each; B2C rows are refused."""
    rt = make_runtime(db_url)
    path = tmp_path / "b2b.csv"
    path.write_text(
        "email,company,first_name\nana@acme.example,Acme,Ana\nluis@gmail.example,,Luis\n"
        "marta@beta.example,Beta,Marta\n",
        encoding="utf-8",
    )
    consent = ImportConsent("newsletter", "legitimate_interest", "Trade fair badge scans 2026")

    summary = import_file(rt, path, consent)

    assert (summary.created, summary.consents, summary.rejected) == (2, 2, 1)
    assert summary.rejects[0].email == "luis@gmail.example"
    assert summary.rejects[0].reason.startswith("missing consent for B2C")
    with unit_of_work(rt.sessions) as session:
        notices = list(session.scalars(select(Message).order_by(Message.id)))
        assert [n.id for n in notices] == summary.notice_ids
        assert {(n.kind, n.template, n.status) for n in notices} == {
            ("transactional", ART14_NOTICE, "queued")
        }
        assert notices[0].context == {
            "purpose": "newsletter",
            "source": "feria-2026",
            "origin": "Trade fair badge scans 2026",
        }
    assert import_file(rt, path, consent).notice_ids == []  # a decision exists: no second one


def test_the_command_writes_the_rejects_file_and_a_summary(pg_url: str, tmp_path: Path) -> None:
    """The command on PostgreSQL: summary line, per-row reasons in a CSV, safe cells."""
    (tmp_path / "campaigns").mkdir()
    path = leadfiles.write_csv(tmp_path / "leads.csv", "latin-1", delimiter="\t")
    with path.open("ab") as handle:  # a formula where the address should be
        handle.write('=HYPERLINK("http://x")\tEvil\r\n'.encode("latin-1"))
    args = ["leads", "import", str(path), "--source", "fair", "--purpose", "newsletter"]
    args += ["--basis", "consent", "--proof", "signed sheet"]
    (tmp_path / "campaigns" / "purposes.yaml").write_bytes(
        (Path(__file__).parents[2] / "campaigns" / "purposes.yaml").read_bytes()
    )

    first = run(tmp_path, *args, database_url=pg_url)

    assert first.returncode == 0, first.stderr
    assert (
        "created 910, updated 0, unchanged 0, merged duplicates 50, consent recorded 910, "
        "rejected 41" in first.stdout
    )
    assert "rejected 31: email" in first.stdout
    with open(tmp_path / "leads.csv.rejects.csv", newline="", encoding="utf-8") as handle:
        rejects = list(csv.DictReader(handle))
    assert len(rejects) == 41
    assert {r["reason"].split(":")[0] for r in rejects} == {"email", "country"}
    assert rejects[-1]["email"].startswith("'=HYPERLINK")  # neutralised for spreadsheets

    second = run(tmp_path, *args, database_url=pg_url)
    assert "created 0, updated 0, unchanged 910, merged duplicates 50" in second.stdout


VENDOR_MAILS = Path(__file__).resolve().parents[1] / "data" / "vendor_mails"


def test_import_email_from_a_file_and_from_stdin(tmp_path: Path) -> None:
    """A vendor mail as a file, then piped as a mail alias would: one lead each, with proof."""
    (tmp_path / "campaigns").mkdir()
    (tmp_path / "campaigns" / "purposes.yaml").write_bytes(
        (Path(__file__).parents[2] / "campaigns" / "purposes.yaml").read_bytes()
    )
    assert run(tmp_path, "db", "upgrade").returncode == 0
    consent = ["--purpose", "newsletter", "--basis", "consent", "--proof", "Leadzilla opt-in"]

    from_file = run(
        tmp_path, "leads", "import-email", str(VENDOR_MAILS / "leadzilla_plain.eml"), *consent
    )
    assert from_file.returncode == 0, from_file.stderr
    assert from_file.stdout.startswith("created lead ")
    assert "from noreply@leadzilla.example; consent for newsletter recorded" in from_file.stdout

    env = {
        **os.environ,
        "NURTURE_DATABASE_URL": f"sqlite:///{tmp_path / 'nurture.db'}",
        "NURTURE_SECRET_KEYS": "k",
        "NURTURE_SUPPRESSION_KEY": "cli-test-key",
    }
    env.pop("NURTURE_REDIS_URL", None)
    piped = subprocess.run(
        [NURTURE, "leads", "import-email", "--source", "web-form"],
        input=(VENDOR_MAILS / "formulario_html.eml").read_bytes(),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert piped.returncode == 0, piped.stderr
    again = run(tmp_path, "leads", "import-email", str(VENDOR_MAILS / "leadzilla_plain.eml"))
    assert again.stdout.startswith("merged into lead ")
    refused = run(tmp_path, "leads", "import-email", str(VENDOR_MAILS / "no_address.eml"))
    assert refused.returncode == 1
    assert "not a lead mail: no lead address found" in refused.stderr

    rt = Runtime(Settings(database_url=f"sqlite:///{tmp_path / 'nurture.db'}", secret_keys=("k",)))
    with unit_of_work(rt.sessions) as session:
        ana = find_lead(session, "ana.garcia@cliente.example")
        bego = find_lead(session, "begona.munoz@empresa.example")
        assert ana is not None
        assert bego is not None
        assert (ana.source, bego.source) == ("email:leadzilla.example", "web-form")
        (record,) = records_of(session, ana.id)
        assert record.proof == (
            "Leadzilla opt-in (vendor mail from noreply@leadzilla.example, "
            "<48213.1776160931@mailer.leadzilla.example>)"
        )
        assert records_of(session, bego.id) == []  # no consent given: stored, never mailed
    rt.close()


def test_a_pending_sign_up_is_completed_by_an_import_with_consent(
    db_url: str, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    """A form sign-up not yet confirmed (pending) becomes `given` with the import's proof."""
    rt = make_runtime(db_url)
    write_campaign(rt, "id: x\n")  # purposes.yaml for the form sign-up
    lead_id = add_lead(rt, "ana@acme.example", NOW, confirm=False)
    path = tmp_path / "list.csv"
    path.write_text("email\nana@acme.example\nnew@acme.example\n", encoding="utf-8")

    summary = import_file(rt, path)

    assert (summary.created, summary.unchanged, summary.consents) == (1, 1, 2)
    with unit_of_work(rt.sessions) as session:
        assert current(session, lead_id)["newsletter"].status == "given"
        assert current(session, lead_id) == fold(records_of(session, lead_id))


def test_a_lead_created_meanwhile_is_merged_not_duplicated(
    db_url: str, make_runtime: RuntimeFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone creates the address between the importer's read and its insert: merged."""
    rt = make_runtime(db_url)
    path = tmp_path / "list.csv"
    path.write_text("email,company\nana@acme.example,Acme\nbo@acme.example,Bo\n", "utf-8")

    def ana_appears(session: Session, _emails: Sequence[str]) -> dict[str, Any]:
        clean = clean_lead({"email": "ana@acme.example"})
        upsert_lead(session, clean, source="api", now=NOW, event_source="api")
        return {}  # the importer's read sees nothing; then Ana appears

    on_call(monkeypatch, "existing", 1, ana_appears)
    summary = import_file(rt, path)

    assert (summary.created, summary.updated) == (1, 1)
    with unit_of_work(rt.sessions) as session:
        ana = find_lead(session, "ana@acme.example")
        assert ana is not None
        assert (ana.company, ana.source) == ("Acme", "api")
        assert session.scalar(select(func.count()).select_from(Lead)) == 2


def test_a_file_broken_halfway_imports_nothing(tmp_path: Path) -> None:
    """A syntax error on line 3 is one clear error and no lead is kept from lines 1-2."""
    assert run(tmp_path, "db", "upgrade").returncode == 0
    path = tmp_path / "broken.csv"
    path.write_bytes(b"email,notes\nok@example.com,x\nbad@example.com," + b"y" * 1_100_000 + b"\n")

    answer = run(tmp_path, "leads", "import", str(path))

    assert answer.returncode == 1
    assert "line 3" in answer.stderr
    assert "nothing was imported" in answer.stderr
    assert "Traceback" not in answer.stderr
    rt = Runtime(Settings(database_url=f"sqlite:///{tmp_path / 'nurture.db'}", secret_keys=("k",)))
    with unit_of_work(rt.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Lead)) == 0
    rt.close()
