"""`nurture preview` and `nurture simulate` as users run them, and the preview's fidelity."""

from __future__ import annotations

import email.policy
import json
import shutil
from datetime import UTC, datetime
from email.parser import BytesParser
from pathlib import Path

import pytest
from itsdangerous.timed import TimestampSigner

from nurture.db import unit_of_work
from nurture.models import Lead, Message
from nurture.sending.preview import PreviewError, preview_step
from tests.conftest import REPO, RuntimeFactory
from tests.integration.test_cli import run
from tests.pipeline import THREE_STEPS, add_lead, write_campaign

NOW = datetime(2026, 5, 15, 15, 30, tzinfo=UTC)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "campaigns").mkdir()
    shutil.copyfile(REPO / "campaigns/purposes.yaml", tmp_path / "campaigns/purposes.yaml")
    (tmp_path / "campaigns/drip.yaml").write_text(THREE_STEPS)
    assert run(tmp_path, "db", "upgrade").returncode == 0
    return tmp_path


def test_preview_is_what_the_sender_composes(
    db_url: str, make_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same composer, same lead: every part equal but the placeholder Message-ID."""
    # Links carry their signing second: the two compositions must not straddle one.
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: 1_800_000_000)
    rt = make_runtime(db_url)
    write_campaign(rt, THREE_STEPS)
    lead_id = add_lead(rt, "lucia@example.com", NOW, first_name="Lucía")
    loaded = rt.campaigns().campaigns["drip"]
    with unit_of_work(rt.sessions) as session:
        shown = preview_step(
            session, rt.sender.composer, rt.campaigns(), "drip", "one", NOW, "LUCIA@example.com"
        )
        row = Message(public_id="real-row", lead_id=lead_id, campaign_id="drip", step_id="one")
        lead = session.get_one(Lead, lead_id)
        sent = rt.sender.composer.marketing(
            row, lead, loaded.campaign, loaded.campaign.steps[0], NOW
        )
        session.rollback()
    assert shown.sample is False
    assert (shown.mail.subject, shown.mail.html, shown.mail.text) == (
        sent.subject,
        sent.html,
        sent.text,
    )
    assert shown.mail.list_unsubscribe == sent.list_unsubscribe
    assert shown.mail.message_id == "<preview.drip.one@acme.example>"
    headers = dict(shown.headers)
    assert headers["Subject"] == "One for Lucía"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    with unit_of_work(rt.sessions) as session, pytest.raises(PreviewError, match="no step 'four'"):
        preview_step(session, rt.sender.composer, rt.campaigns(), "drip", "four", NOW)


def test_preview_command_prints_the_message(project: Path) -> None:
    """Headers and text by default, one part on request, the raw message with --eml."""
    default = run(project, "preview", "drip", "one")
    assert default.returncode == 0, default.stderr
    assert "Subject: One for Alex" in default.stdout
    assert "To: alex.sample@example.com" in default.stdout
    assert "List-Unsubscribe: <http://127.0.0.1:5000/u/" in default.stdout
    assert "(for the sample lead;" in default.stderr
    html = run(project, "preview", "drip", "two", "--html")
    assert html.stdout.lstrip().lower().startswith(("<!doctype", "<html"))
    eml = run(project, "preview", "drip", "one", "--eml")
    message = BytesParser(policy=email.policy.default).parsebytes(eml.stdout.encode())
    assert message.defects == []
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    unknown = run(project, "preview", "drip", "nope")
    assert unknown.returncode == 1
    assert "campaign 'drip' has no step 'nope' (['one', 'two', 'three'])" in unknown.stderr
    no_lead = run(project, "preview", "drip", "one", "--lead", "nobody@example.com")
    assert "no lead with the address 'nobody@example.com'" in no_lead.stderr


def test_simulate_command_json_and_table(project: Path) -> None:
    """Synthetic leads with a fixed seed: the contract's JSON shape, reproducibly."""
    args = ["simulate", "drip", "--leads", "300", "--days", "14", "--start", "2026-05-15T15:30:00Z"]
    first = run(project, *args, "--json")
    assert first.returncode == 0, first.stderr
    result = json.loads(first.stdout)
    assert result["campaign"] == "drip"
    assert [step["id"] for step in result["steps"]] == ["one", "two", "three"]
    assert {"id", "sent", "skipped"} <= set(result["steps"][0])
    assert isinstance(result["exited"], int)
    assert sum(day["total"] for day in result["per_day"]) == sum(s["sent"] for s in result["steps"])
    assert result["lint"] == []
    assert run(project, *args, "--json").stdout == first.stdout  # same seed, same run
    table = run(project, *args)
    assert "sends per day (Europe/Madrid)" in table.stdout
    bad = run(project, "simulate", "drip", "--click-rate", "0.9")
    assert bad.returncode == 1
    assert "cannot exceed the open rate" in bad.stderr


def test_simulate_real_leads_reads_without_writing(project: Path) -> None:
    """`--real` runs the consented leads that would enrol; the database is left as it was."""
    leads = project / "leads.csv"
    leads.write_text(
        "email,first_name,timezone\nana@example.com,Ana,Europe/Madrid\nbo@example.com,Bo,\n"
    )
    (project / "campaigns/drip.yaml").write_text(
        THREE_STEPS.replace("consent_confirmed", "consent_granted")
    )
    consent = ["--purpose", "newsletter", "--basis", "consent", "--proof", "sheet"]
    assert run(project, "leads", "import", str(leads), *consent).returncode == 0
    before = (project / "nurture.db").read_bytes()

    answer = run(project, "simulate", "drip", "--real", "--days", "10", "--json",
                 "--start", "2026-05-15T15:30:00Z")  # fmt: skip

    assert answer.returncode == 0, answer.stderr
    result = json.loads(answer.stdout)
    assert (result["population"], result["enrolled"]) == ("real", 2)
    assert result["steps"][0]["sent"] == 2
    assert (project / "nurture.db").read_bytes() == before
