"""The `nurture` command as users run it: real processes, exit statuses, messages."""

from __future__ import annotations

import csv
import email.policy
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from pathlib import Path

import pytest

from tests.conftest import REPO, TEST_KEYS
from tests.pipeline import THREE_STEPS

NURTURE = str(Path(sys.executable).with_name("nurture"))


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A project folder: the example purposes, the test campaign, the repo's templates."""
    (tmp_path / "campaigns").mkdir()
    shutil.copyfile(REPO / "campaigns/purposes.yaml", tmp_path / "campaigns/purposes.yaml")
    (tmp_path / "campaigns/drip.yaml").write_text(THREE_STEPS)
    return tmp_path


def run(
    workdir: Path, *args: str, database_url: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "NURTURE_DATABASE_URL": database_url or f"sqlite:///{workdir / 'nurture.db'}",
        "NURTURE_SECRET_KEYS": ",".join(TEST_KEYS),
        "NURTURE_SUPPRESSION_KEY": "cli-test-key",
        "NURTURE_TEMPLATES_DIR": str(REPO / "templates"),
        "NURTURE_POSTAL_ADDRESS": "Acme Ltd, Calle Mayor 1, Madrid",
    }
    env.pop("NURTURE_REDIS_URL", None)
    env.pop("NURTURE_SMTP_URL", None)
    return subprocess.run(
        [NURTURE, *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_validate_reports_file_line_and_exits_1(workdir: Path) -> None:
    """A good folder validates (0); a bad file gives file:line and exit 1."""
    good = run(workdir, "campaigns", "validate")
    assert good.returncode == 0, good.stdout + good.stderr
    (workdir / "campaigns/broken.yaml").write_text(
        THREE_STEPS.replace("id: drip", "id: broken").replace(
            'hours: "09:00-17:00"', "hours: 10:30"
        )
    )
    bad = run(workdir, "campaigns", "validate")
    assert bad.returncode == 1
    assert "broken.yaml:11:" in bad.stdout
    assert "10:30" in bad.stdout


def next_weekday_morning() -> str:
    """10:00 UTC on a weekday after today: inside the test campaign's window."""
    day = datetime.now(UTC).date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return f"{day.isoformat()}T10:00:00Z"


def test_import_then_schedule_writes_to_the_outbox(workdir: Path) -> None:
    """Upgrade, import with consent, one scheduler pass, and the mail lands in outbox/."""
    # An import is not a double opt-in: this campaign enters on the import itself.
    (workdir / "campaigns/drip.yaml").write_text(
        THREE_STEPS.replace("on: consent_confirmed", "on: lead_created")
    )
    assert run(workdir, "db", "upgrade").returncode == 0
    leads = workdir / "leads.csv"
    leads.write_text(
        "E-mail;Nombre;País;Empresa\nana@example.com;Ana;ES;Acme\nnot-an-email;X;ES;\n"
        "ANA@Example.com;Ana María;ES;Acme\n",
        encoding="utf-8",
    )
    imported = run(
        workdir,
        "leads",
        "import",
        str(leads),
        "--source",
        "fair",
        "--purpose",
        "newsletter",
        "--basis",
        "consent",
        "--proof",
        "signed sheet 2026",
    )
    assert imported.returncode == 0, imported.stderr
    assert (
        "created 1, updated 0, unchanged 0, merged duplicates 1, consent recorded 1, rejected 1"
        in imported.stdout
    )
    with open(workdir / "leads.csv.rejects.csv", newline="") as handle:
        rejects = list(csv.DictReader(handle))
    assert [(r["row"], r["email"]) for r in rejects] == [("3", "not-an-email")]

    again = run(
        workdir,
        "leads",
        "import",
        str(leads),
        "--purpose",
        "newsletter",
        "--basis",
        "consent",
        "--proof",
        "signed sheet 2026",
    )
    assert "created 0, updated 0, unchanged 1" in again.stdout  # the same file changes nothing
    assert "consent recorded 0" in again.stdout

    passed = run(workdir, "scheduler", "--once", "--now", next_weekday_morning())
    assert passed.returncode == 0, passed.stderr
    assert "enrolled 1, queued 1" in passed.stdout
    outbox = list((workdir / "outbox").glob("*.eml"))
    assert len(outbox) == 1  # the embedded broker sends inside the same process
    mail = BytesParser(policy=email.policy.default).parsebytes(outbox[0].read_bytes())
    assert mail["Subject"] == "One for Ana María"  # the later row's name merged in


def test_embedded_mail_queued_by_a_command_goes_out_on_the_next_pass(workdir: Path) -> None:
    """No Redis: the art. 14 notice an import queues is sent by the very next `--once`."""
    (workdir / "campaigns/drip.yaml").write_text(
        THREE_STEPS.replace("on: consent_confirmed", "on: lead_created")
    )
    assert run(workdir, "db", "upgrade").returncode == 0
    leads = workdir / "leads.csv"
    leads.write_text("email,first_name,company\nmarta@beta.example,Marta,Beta\n")
    imported = run(
        workdir,
        "leads",
        "import",
        str(leads),
        "--purpose",
        "newsletter",
        "--basis",
        "legitimate_interest",
        "--proof",
        "Badge scans, Expo Madrid 2026",
    )
    assert "art. 14 notices queued 1" in imported.stdout, imported.stderr

    passed = run(workdir, "scheduler", "--once")
    assert passed.returncode == 0, passed.stderr
    [notice] = list((workdir / "outbox").glob("*.eml"))
    mail = BytesParser(policy=email.policy.default).parsebytes(notice.read_bytes())
    assert mail["Auto-Submitted"] == "auto-generated"


def test_events_add_refuses_unknown_leads_and_types(workdir: Path) -> None:
    """Bad input is a one-line error and exit status 1, never a traceback."""
    assert run(workdir, "db", "upgrade").returncode == 0
    unknown = run(workdir, "events", "add", "nobody@example.com", "call_completed")
    assert unknown.returncode == 1
    assert "no lead with the address" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    bad_json = run(workdir, "events", "add", "nobody@example.com", "x_y", "--data", "{nope")
    assert bad_json.returncode == 1
    assert "--data is not valid JSON" in bad_json.stderr
    forged = run(workdir, "events", "add", "nobody@example.com", "consent_confirmed")
    assert forged.returncode == 1
    assert "recorded by nurture itself" in forged.stderr


def test_events_add_refuses_derived_types_and_files_events_under_a_step(workdir: Path) -> None:
    """`became_hot` is nurture's to record; --campaign/--step must name a loaded step."""
    assert run(workdir, "db", "upgrade").returncode == 0
    (workdir / "leads.csv").write_text("email\nana@example.com\n")
    assert run(workdir, "leads", "import", "leads.csv").returncode == 0
    forged = run(workdir, "events", "add", "ana@example.com", "became_hot")
    assert forged.returncode == 1
    assert "derived by nurture" in forged.stderr
    for args, message in (
        (["--campaign", "nope"], "--campaign: no campaign 'nope' is loaded"),
        (["--campaign", "drip", "--step", "four"], "--step: campaign 'drip' has no step 'four'"),
        (["--step", "two"], "--campaign: name the campaign the step belongs to"),
        (["--at", "2999-01-01T00:00:00Z"], "--at: is in the future"),
        (["--data", '{"x": NaN}'], "--data: nan is not a finite number"),
    ):
        refused = run(workdir, "events", "add", "ana@example.com", "email_replied", *args)
        assert (refused.returncode, message in refused.stderr) == (1, True), refused.stderr
    done = run(
        workdir, "events", "add", "ana@example.com", "call_completed", "--campaign", "drip",
        "--step", "two", "--data", '{"minutes": 25}',
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    stored = sqlite3.connect(workdir / "nurture.db").execute(
        "SELECT type, campaign_id, step_id, source FROM events WHERE type != 'lead_created'"
    )
    assert stored.fetchall() == [("call_completed", "drip", "two", "cli")]


def test_usage_errors_exit_2(workdir: Path) -> None:
    """Wrong usage is exit status 2, as the contract says."""
    assert run(workdir, "scheduler", "--now", "2026-03-30T08:00:00Z").returncode == 2
    assert run(workdir, "leads", "import", "x.csv", "--purpose", "newsletter").returncode == 2
    assert run(workdir, "no-such-command").returncode == 2
    consent = ["--purpose", "newsletter", "--basis", "consent"]
    empty_proof = run(workdir, "leads", "import", "x.csv", *consent, "--proof", " ")
    assert empty_proof.returncode == 2
    assert "--proof must say where the consent was obtained" in empty_proof.stderr
    long_source = run(workdir, "leads", "import", "x.csv", "--source", "s" * 101)
    assert long_source.returncode == 2
    assert "must be 1 to 100 characters" in long_source.stderr


def test_a_database_without_schema_or_server_is_one_clear_line(workdir: Path) -> None:
    """Before `nurture db upgrade`, or with the database down: a hint, not a traceback."""
    before = run(workdir, "campaigns", "list")
    assert before.returncode == 1
    assert "run `nurture db upgrade`" in before.stderr
    assert "Traceback" not in before.stderr
    env = {**os.environ, "NURTURE_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none"}
    down = subprocess.run(
        [NURTURE, "messages", "list"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert down.returncode == 1
    assert "cannot use the database at NURTURE_DATABASE_URL" in down.stderr
