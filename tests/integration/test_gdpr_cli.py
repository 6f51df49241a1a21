"""`nurture gdpr`: export, erase, purge and the art. 30 record, run as operators run them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from nurture.campaigns.purposes import load_purposes, wording_hash
from nurture.consent.ledger import Proof, append
from nurture.consent.suppression import suppression_reason
from nurture.db import unit_of_work
from nurture.leads.events import record_event
from nurture.leads.fields import clean_lead
from nurture.leads.service import upsert_lead
from nurture.migrate import upgrade
from nurture.models import Event, Lead
from nurture.prospects.signup import SOURCE
from nurture.runtime import Runtime
from tests.conftest import REPO, TEST_KEYS, make_settings
from tests.pipeline import THREE_STEPS, add_lead

NURTURE = str(Path(sys.executable).with_name("nurture"))
KEY = "gdpr-cli-key"
NOW = datetime.now(UTC)


@pytest.fixture
def rt(tmp_path: Path) -> Runtime:
    (tmp_path / "campaigns").mkdir()
    shutil.copyfile(REPO / "campaigns/purposes.yaml", tmp_path / "campaigns/purposes.yaml")
    (tmp_path / "campaigns/drip.yaml").write_text(THREE_STEPS)
    url = f"sqlite:///{tmp_path / 'nurture.db'}"
    upgrade(url)
    return Runtime(make_settings(tmp_path, url, suppression_key=KEY))


def run(rt: Runtime, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "NURTURE_DATABASE_URL": rt.settings.database_url,
        "NURTURE_SECRET_KEYS": ",".join(TEST_KEYS),
        "NURTURE_SUPPRESSION_KEY": KEY,
        "NURTURE_TEMPLATES_DIR": str(REPO / "templates"),
        "NURTURE_POSTAL_ADDRESS": "Acme Ltd, Calle Mayor 1, Madrid",
        "NURTURE_BRAND_NAME": "Acme",
    }
    env.pop("NURTURE_REDIS_URL", None)
    return subprocess.run(
        [NURTURE, "gdpr", *args],
        cwd=rt.settings.campaigns_dir.parent,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_export_prints_everything_as_json(rt: Runtime) -> None:
    """The contract's keys are there; an unknown address is a user error (exit 1)."""
    add_lead(rt, "ines@example.com", NOW - timedelta(days=1), first_name="Inés")
    done = run(rt, "export", "Ines@Example.com")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert {"lead", "consents", "events", "messages", "score"} <= set(data)
    assert data["lead"]["first_name"] == "Inés"
    assert [c["action"] for c in data["consents"]] == ["granted", "confirmed"]
    assert data["consents"][0]["wording"].startswith("Email me the newsletter")
    missing = run(rt, "export", "nobody@example.com")
    assert missing.returncode == 1
    assert "no lead" in missing.stderr


def test_erase_asks_first_then_keeps_only_the_hash(rt: Runtime) -> None:
    """Without --yes a "no" keeps everything; with --yes only the suppression hash stays."""
    add_lead(rt, "olvido@example.com", NOW - timedelta(days=1))
    declined = run(rt, "erase", "olvido@example.com", stdin="n\n")
    assert declined.returncode == 1
    done = run(rt, "erase", "olvido@example.com", "--yes")
    assert done.returncode == 0, done.stderr
    with unit_of_work(rt.sessions) as session:
        assert session.scalar(select(Lead)) is None
        assert suppression_reason(session, KEY, "olvido@example.com") == "erased"


def _seed_retention_cases(rt: Runtime) -> None:
    purposes = load_purposes(rt.settings.campaigns_dir)
    wording = purposes.wording("newsletter", "en")
    with unit_of_work(rt.sessions) as session:
        old = NOW - timedelta(days=10)
        lead, _ = upsert_lead(
            session,
            clean_lead({"email": "never@example.com"}),
            source=SOURCE,
            now=old,
            event_source="form",
        )
        proof = Proof(source="form", wording=wording, wording_hash=wording_hash(wording))
        append(session, lead, "newsletter", "granted", proof, old)
    add_lead(rt, "reader@example.com", NOW - timedelta(days=500))
    add_lead(rt, "gone-quiet@example.com", NOW - timedelta(days=1200))
    with unit_of_work(rt.sessions) as session:
        reader = session.scalars(select(Lead).where(Lead.email == "reader@example.com")).one()
        record_event(session, reader, "email_opened", occurred_at=NOW - timedelta(days=400))
        record_event(session, reader, "email_clicked", occurred_at=NOW - timedelta(days=3))


def test_purge_applies_retention_per_category(rt: Runtime) -> None:
    """Dry run counts and changes nothing; the real run deletes and detaches."""
    _seed_retention_cases(rt)
    dry = run(rt, "purge", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would purge 1 unconfirmed signups" in dry.stdout
    assert "would purge 1 tracking events" in dry.stdout
    assert "would purge 1 inactive leads" in dry.stdout
    with unit_of_work(rt.sessions) as session:
        assert len(session.scalars(select(Lead)).all()) == 3
    done = run(rt, "purge")
    assert done.returncode == 0, done.stderr
    with unit_of_work(rt.sessions) as session:
        emails = set(session.scalars(select(Lead.email)))
        opened = session.scalars(select(Event).where(Event.type == "email_opened")).one()
        clicked = session.scalars(select(Event).where(Event.type == "email_clicked")).one()
        # retention is not an erasure request: no suppression entry
        assert suppression_reason(session, KEY, "gone-quiet@example.com") is None
    assert emails == {"reader@example.com"}
    assert opened.lead_id is None
    assert clicked.lead_id is not None


def test_record_of_processing_lists_purposes_and_campaigns(rt: Runtime) -> None:
    """Art. 30: one activity per purpose, with its basis, wording and campaigns."""
    text = run(rt, "record")
    assert text.returncode == 0, text.stderr
    assert "Purpose newsletter: Newsletter" in text.stdout
    assert "campaigns: drip" in text.stdout
    data = json.loads(run(rt, "record", "--json").stdout)
    assert data["controller"]["name"] == "Acme"
    by_id = {a["purpose"]: a for a in data["activities"]}
    assert by_id["newsletter"]["campaigns"] == ["drip"]
    assert by_id["tracking"]["lawful_basis"] == "consent"
