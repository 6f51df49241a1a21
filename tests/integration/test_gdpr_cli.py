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
from sqlalchemy import select, update

from nurture.campaigns.purposes import load_purposes, wording_hash
from nurture.consent.ledger import Proof, append
from nurture.consent.suppression import suppression_reason
from nurture.db import unit_of_work
from nurture.leads.events import record_event
from nurture.leads.fields import clean_lead
from nurture.leads.service import upsert_lead
from nurture.migrate import upgrade
from nurture.models import AddressChange, ErasureNotice, Event, Lead, Message, WebhookDelivery
from nurture.prospects.mailing import CONFIRM_ADDRESS
from nurture.prospects.signup import SOURCE
from nurture.runtime import Runtime
from nurture.webhooks import subscriptions
from nurture.webhooks.passes import WebhookPass
from tests.conftest import REPO, TEST_KEYS, make_settings
from tests.handoff_support import http_receiver
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
    assert data["pending_address_change"] is None
    with unit_of_work(rt.sessions) as session:  # asked for, not confirmed: held too
        ines = session.scalars(select(Lead).where(Lead.email == "ines@example.com")).one()
        session.add(AddressChange(lead_id=ines.id, new_email="ines@new.example", requested_at=NOW))
    pending = json.loads(run(rt, "export", "ines@example.com").stdout)["pending_address_change"]
    assert pending == {"new_email": "ines@new.example", "requested_at": NOW.isoformat()}
    missing = run(rt, "export", "nobody@example.com")
    assert missing.returncode == 1
    assert "no lead" in missing.stderr


def test_export_explains_the_score_in_the_leads_language(rt: Runtime) -> None:
    """The ledger behind the score, line by line: rule, event, points, what decay left."""
    lead_id = add_lead(rt, "rocio@example.com", NOW - timedelta(days=2), locale="es")
    with unit_of_work(rt.sessions) as session:
        lead = session.get_one(Lead, lead_id)
        record_event(session, lead, "email_replied", occurred_at=NOW - timedelta(days=1))
    rt.scorer.update([lead_id])
    done = run(rt, "export", "rocio@example.com")
    assert done.returncode == 0, done.stderr
    score = json.loads(done.stdout)["score"]
    assert score["computed_at"] is not None
    reply = next(line for line in score["explanation"] if line["rule"] == "email-reply")
    assert (reply["kind"], reply["what"], reply["points"]) == ("behaviour", "email_replied", 2)
    assert 0 < reply["counts"] < 2  # a day of decay
    assert reply["note"] == "la actividad antigua pesa menos"
    assert reply["text"].startswith("+2 → ")


def test_erase_tells_the_recipients_and_the_log_shows_it(rt: Runtime) -> None:
    """Art. 19 from the command line: the embedded broker's notice goes out before the
    command ends; `gdpr notices` lists the log; a failed notice goes again on `redeliver`."""
    with http_receiver() as receiver:
        with unit_of_work(rt.sessions) as session:
            subscriptions.add(session, receiver.url, ["lead_created"], None)
        for email in ("told@example.com", "retried@example.com"):
            add_lead(rt, email, NOW - timedelta(days=1))
        sent: list[int] = []
        WebhookPass(rt.sessions, sent.extend, rt.wall_clock).run(NOW)
        for delivery_id in sent:
            rt.webhook_deliverer.deliver(delivery_id)

        assert run(rt, "erase", "told@example.com", "--yes").returncode == 0
        assert json.loads(receiver.posts[-1].body)["event"] == "lead_erased"
        receiver.statuses = [500]
        assert run(rt, "erase", "retried@example.com", "--yes").returncode == 0
        with unit_of_work(rt.sessions) as session:  # as if its retries had run out
            pending = ErasureNotice.status == "pending"
            session.execute(update(ErasureNotice).where(pending).values(status="failed"))

        [failed] = run(rt, "notices", "--status", "failed").stdout.splitlines()
        assert "webhook failed    attempts=1 code=500" in failed
        assert "attempt 1: HTTP 500" in failed
        again = run(rt, "redeliver", failed.split()[0], "no-such-notice")
        assert again.returncode == 1
        assert "queued 1 of 2: the others are not failed" in again.stderr
        assert [line.split()[2] for line in run(rt, "notices").stdout.splitlines()] == [
            "delivered",
            "delivered",
        ]
        assert json.loads(receiver.posts[-1].body)["event"] == "lead_erased"


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
    with unit_of_work(rt.sessions) as session:  # an address change never confirmed
        reader = session.scalars(select(Lead).where(Lead.email == "reader@example.com")).one()
        old = NOW - timedelta(days=30)
        session.add(AddressChange(lead_id=reader.id, new_email="x@example.com", requested_at=old))
        session.add(  # and the row of its confirmation mail, which names the address too
            Message(lead_id=reader.id, kind="transactional", template=CONFIRM_ADDRESS,
                    status="sent", context={"to": "x@example.com"}, created_at=old)
        )  # fmt: skip
        hook = subscriptions.add(session, "https://crm.example/hook", ["lead_created"], None)
        hook.after_event_id = 0  # subscribed before the sign-up came in
    WebhookPass(rt.sessions, lambda _ids: None, rt.wall_clock).run(NOW)  # never's event waits
    dry = run(rt, "purge", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would purge 1 unconfirmed signups" in dry.stdout
    assert "would purge 1 tracking events" in dry.stdout
    assert "would purge 1 inactive leads" in dry.stdout
    assert "would purge 1 expired address changes" in dry.stdout
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
    with unit_of_work(rt.sessions) as session:
        assert session.scalars(select(AddressChange)).all() == []
        [confirmation] = session.scalars(select(Message).where(Message.template == CONFIRM_ADDRESS))
        assert confirmation.context == {}
        # every lead's lead_created went to the hook; only the unconfirmed one's is stopped
        stopped = session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.status == "failed")
        ).all()
        assert [row.last_error for row in stopped] == ["the sign-up was never confirmed: not sent"]
        assert stopped[0].lead_id is None  # purged since
    assert clicked.lead_id is not None


def test_nurtures_own_bookkeeping_is_not_activity(rt: Runtime) -> None:
    """Score refreshes, hand-offs, sends, bounces and machine opens keep nobody "active";
    a reply of the person's own does."""
    quiet = add_lead(rt, "quiet@example.com", NOW - timedelta(days=1200))
    replied = add_lead(rt, "replied@example.com", NOW - timedelta(days=1200))
    recent = NOW - timedelta(days=2)
    with unit_of_work(rt.sessions) as session:
        for lead_id in (quiet, replied):
            lead = session.get_one(Lead, lead_id)
            for kind in ("became_warm", "became_cold", "disqualified", "handoff_recalled"):
                record_event(session, lead, kind, occurred_at=recent)
            record_event(session, lead, "email_sent", occurred_at=recent)
            record_event(session, lead, "email_bounced", occurred_at=recent)
            record_event(session, lead, "email_opened", occurred_at=recent, classification="proxy")
        record_event(session, session.get_one(Lead, replied), "email_replied", occurred_at=recent)
    done = run(rt, "purge")
    assert done.returncode == 0, done.stderr
    assert "purged 1 inactive leads" in done.stdout
    with unit_of_work(rt.sessions) as session:
        assert set(session.scalars(select(Lead.email))) == {"replied@example.com"}


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
