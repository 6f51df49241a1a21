"""Business contacts imported under legitimate interest get the art. 14 notice first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from nurture.db import unit_of_work
from nurture.leads.importer import ImportConsent, Importer
from nurture.leads.notices import ART14_NOTICE
from nurture.leads.sources import read_csv
from tests.pipeline import THREE_STEPS, Engine, messages, write_campaign
from tests.smtp_server import SmtpServer

# Tuesday 10:00 in Madrid: inside the campaign's weekday 09:00-17:00 window.
IMPORTED = datetime(2026, 4, 14, 8, 0, tzinfo=UTC)
LIST = b"email,first_name,company\nmarta@beta.example,Marta,Beta Industrial\n"


def test_no_campaign_mail_before_the_notice_is_sent(
    engine: Engine, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    """The scheduler holds step one until the notice is `sent`; the notice names the source."""
    rt = engine.rt
    write_campaign(rt, THREE_STEPS.replace("on: consent_confirmed", "on: consent_granted"))
    consent = ImportConsent("newsletter", "legitimate_interest", "Badge scans, Expo Madrid 2026")
    importer = Importer("expo-2026", consent, rt.settings.suppression_key, IMPORTED)
    with unit_of_work(rt.sessions) as session:
        notice_ids = importer.run(session, read_csv(LIST, "list.csv")).notice_ids

    held = engine.schedule(IMPORTED)

    assert held.enrolled == 1
    assert held.plan.queued == 0
    assert [(m.kind, m.template, m.status) for m in messages(rt)] == [
        ("transactional", ART14_NOTICE, "queued")
    ]

    engine.start_worker()
    rt.actors.enqueue(notice_ids)
    engine.drain()
    sent = engine.schedule(IMPORTED + timedelta(minutes=11))
    engine.drain()

    assert sent.plan.queued == 1
    assert [(m.template or m.step_id, m.status) for m in messages(rt)] == [
        (ART14_NOTICE, "sent"),
        ("one", "sent"),
    ]
    notice, first = (received.parse() for received in smtp_server.messages)
    assert notice["Subject"] == "How nurture got your contact details"
    assert notice["Auto-Submitted"] == "auto-generated"
    assert notice["List-Unsubscribe"] is None  # not marketing
    text = notice.get_body(preferencelist=("plain",))
    assert text is not None
    body = text.get_content()
    assert "Where they came from: Badge scans, Expo Madrid 2026." in body
    assert "emails about: Newsletter." in body
    assert f"{rt.settings.base_url}/u/" in body  # one-click objection
    assert first["Subject"] == "One for Marta"
