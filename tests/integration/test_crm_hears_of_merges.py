"""New data merged into a lead that sales is working (API, vendor mail, import) reaches
the CRM of its open hand-off as `lead.updated`; a CRM whose hand-off ended, or that
never got the lead, is told nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from nurture.db import unit_of_work
from nurture.leads.importer import ImportConsent, Importer
from nurture.leads.sources import open_table
from nurture.models import HandoffDelivery
from tests.conftest import RuntimeFactory
from tests.crm_support import (
    NOW,
    crm_site,
    deliver,
    hot,
    preferences,
    record_enqueued,
    signed_body,
)
from tests.handoff_support import Receiver, deliveries, handoffs
from tests.prospects import Site

KEY = "merge-test-key"
EMAIL = "ximena.merge@example.com"
PROFILE = {"first_name": "Ximena", "company": "Acme", "country": "ES"}


@pytest.fixture
def site(db_url: str, make_runtime: RuntimeFactory, crm: Receiver) -> Site:
    return crm_site(make_runtime(db_url, api_keys=(KEY,)), crm.url)


@pytest.fixture
def enqueued(site: Site) -> list[int]:
    return record_enqueued(site.rt)


def updates(site: Site) -> list[HandoffDelivery]:
    return [row for row in deliveries(site.rt) if row.event == "lead.updated"]


def post_lead(site: Site, **fields: str) -> None:
    answer = site.client.post(
        "/api/leads", json={"email": EMAIL, **fields}, headers={"Authorization": f"Bearer {KEY}"}
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)  # merged, not created


def import_rows(site: Site, tmp_path: Path, header: str, *rows: str) -> None:
    path = tmp_path / "list.csv"
    path.write_text("\n".join([header, *rows]) + "\n", "utf-8")
    consent = ImportConsent("newsletter", "consent", "fair sheet", "w", "h")
    importer = Importer("fair", consent, site.rt.settings.suppression_key, NOW, chunk_size=4)
    with unit_of_work(site.rt.sessions) as session:
        importer.run(session, open_table(path))


def test_an_api_merge_reaches_the_crm_working_the_lead(site: Site, crm: Receiver) -> None:
    hot(site, EMAIL, **PROFILE)
    deliver(site, "lead.assigned")

    post_lead(site, phone="+34 600 000 001", company="Acme")

    [update] = updates(site)
    assert update.handoff_id == handoffs(site.rt)[0].id
    deliver(site, "lead.updated")
    body = signed_body(crm.posts[-1])
    assert (body["event"], body["lead"]["phone"]) == ("lead.updated", "+34 600 000 001")

    post_lead(site, phone="+34 600 000 001")  # nothing new: nothing to tell
    assert len(updates(site)) == 1


def test_an_import_merge_reaches_the_crm_working_the_lead(
    site: Site, crm: Receiver, tmp_path: Path
) -> None:
    """On PostgreSQL through either of the import's connections (chunks of 4 rows)."""
    hot(site, EMAIL, **PROFILE)
    deliver(site, "lead.assigned")
    others = [f"other{i}@example.com,Co {i}" for i in range(12)]

    import_rows(site, tmp_path, "email,job_title", *others[:6], f"{EMAIL},CTO", *others[6:])

    [update] = updates(site)
    deliver(site, "lead.updated")
    assert signed_body(crm.posts[-1])["lead"]["job_title"] == "CTO"
    import_rows(site, tmp_path, "email,job_title", f"{EMAIL},CTO")  # unchanged
    assert [row.id for row in updates(site)] == [update.id]


def test_an_update_still_waiting_when_the_hand_off_ends_is_not_sent(
    site: Site, crm: Receiver, enqueued: list[int]
) -> None:
    """Merged, queued at once, then the person restricts processing before it is posted:
    the CRM hears `lead.withdrawn`, never the new phone number."""
    lead = hot(site, EMAIL, **PROFILE)
    deliver(site, "lead.assigned")
    enqueued.clear()

    post_lead(site, phone="+34 600 000 002")
    [update] = updates(site)
    assert enqueued == [update.id]
    preferences(site, lead, restricted="on")
    deliver(site, "lead.withdrawn")
    deliver(site, "lead.updated")

    [row] = updates(site)
    assert (row.status, row.cause) == ("failed", "merge")
    assert "new data is not sent" in (row.last_error or "")
    assert [signed_body(post)["event"] for post in crm.posts] == ["lead.assigned", "lead.withdrawn"]


def test_a_crm_whose_hand_off_ended_hears_nothing_more(site: Site, crm: Receiver) -> None:
    """Withdrawn after a restriction: new data from the API is no business of that CRM
    (a correction by the person would be: art. 19)."""
    lead = hot(site, EMAIL, **PROFILE)
    deliver(site, "lead.assigned")
    preferences(site, lead, restricted="on")
    assert handoffs(site.rt)[0].status == "withdrawn"

    post_lead(site, job_title="CEO")

    assert updates(site) == []


def test_a_crm_the_lead_has_not_reached_yet_hears_nothing(site: Site, crm: Receiver) -> None:
    """Its `lead.assigned`, still to go, carries the new data."""
    hot(site, EMAIL, **PROFILE)

    post_lead(site, job_title="CEO")

    assert updates(site) == []
    deliver(site, "lead.assigned")
    assert signed_body(crm.posts[-1])["lead"]["job_title"] == "CEO"
