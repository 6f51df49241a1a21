"""GDPR art. 19 for rectification: a correction on the my-data page (or a confirmed new
address) reaches every CRM a hand-off webhook of the lead was tried on, as a signed
`lead.updated` with the corrected profile on the lead's most recent hand-off; a CRM the
lead never reached hears nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from nurture.db import unit_of_work
from nurture.handoff.webhook import EVENT_HEADER
from nurture.models import AddressChange, HandoffDelivery, Lead
from tests.conftest import RuntimeFactory
from tests.crm_support import (
    crm_site,
    deliver,
    hot,
    preferences,
    record_enqueued,
    signed_body,
)
from tests.handoff_support import Receiver, deliveries, handoffs, http_receiver, write_rules
from tests.prospects import Site

EMAIL = "ximena.fixed@example.com"
PROFILE = {"first_name": "Ximena", "company": "Acme", "country": "ES"}


@pytest.fixture
def site(db_url: str, make_runtime: RuntimeFactory, crm: Receiver) -> Site:
    return crm_site(make_runtime(db_url), crm.url)


@pytest.fixture
def enqueued(site: Site) -> list[int]:
    return record_enqueued(site.rt)


def correct(site: Site, lead: Lead, **fields: str) -> None:
    """The my-data page's correction form, with every editable field as it is sent."""
    page = "/my-data/" + site.rt.tokens.sign("preferences", lead.public_id)
    form = {"csrf_token": site.csrf(page), **PROFILE, **fields}
    assert site.client.post(page + "/correct", data=form).status_code == 200


def updates(site: Site) -> list[HandoffDelivery]:
    return [row for row in deliveries(site.rt) if row.event == "lead.updated"]


def test_a_correction_reaches_the_crm_that_got_the_lead(
    site: Site, crm: Receiver, enqueued: list[int]
) -> None:
    """Handed over and posted; corrected on the page: one signed `lead.updated` with the
    new values, enqueued after the commit; saving again unchanged sends nothing more."""
    lead = hot(site, EMAIL, **PROFILE)
    deliver(site, "lead.assigned")
    enqueued.clear()  # the score update's own

    correct(site, lead, first_name="Jimena", company="Acme S.L.")

    [update] = updates(site)
    [handoff] = handoffs(site.rt)
    assert (update.handoff_id, update.channel, update.target) == (handoff.id, "webhook", crm.url)
    assert update.max_attempts == 3  # as configured for the hand-off's webhooks
    assert enqueued == [update.id]
    deliver(site, "lead.updated")
    told = crm.posts[-1]
    assert told.headers[EVENT_HEADER] == "lead.updated"
    body = signed_body(told)
    assert body["event"] == "lead.updated"
    assert body["handoff"]["id"] == handoff.public_id
    assert (body["lead"]["id"], body["lead"]["email"]) == (lead.public_id, EMAIL)
    assert (body["lead"]["first_name"], body["lead"]["company"]) == ("Jimena", "Acme S.L.")
    assert body["score"]["total"] == 70

    correct(site, lead, first_name="Jimena", company="Acme S.L.")  # nothing changed
    assert len(updates(site)) == 1


def test_a_crm_the_lead_never_reached_hears_nothing(site: Site, crm: Receiver) -> None:
    """The hand-off's webhook not tried yet: no `lead.updated` (the correction would be
    news to that CRM); the `lead.assigned` still to go carries the corrected profile."""
    lead = hot(site, EMAIL, **PROFILE)
    correct(site, lead, first_name="Jimena")
    assert updates(site) == []
    deliver(site, "lead.assigned")
    [post] = crm.posts
    assert signed_body(post)["lead"]["first_name"] == "Jimena"


def test_every_crm_hears_on_the_latest_hand_off(
    site: Site, crm: Receiver, enqueued: list[int]
) -> None:
    """Two hand-offs, to two CRMs (the URL changed between them), the first withdrawn:
    each CRM gets one `lead.updated`, both on the latest hand-off."""
    lead = hot(site, EMAIL, **PROFILE)
    deliver(site, "lead.assigned")
    preferences(site, lead, restricted="on")
    preferences(site, lead)  # lifted again
    with http_receiver() as other_crm:
        write_rules(site.rt, mode="push", webhook=other_crm.url)
        site.rt.scorer.update([lead.id])
        first, latest = handoffs(site.rt)
        assert (first.status, latest.status) == ("withdrawn", "assigned")
        deliver(site, "lead.assigned")
        enqueued.clear()

        correct(site, lead, job_title="Head of Sales")

        sent = updates(site)
        assert {(row.handoff_id, row.target) for row in sent} == {
            (latest.id, crm.url),
            (latest.id, other_crm.url),
        }
        assert sorted(enqueued) == sorted(row.id for row in sent)
        deliver(site, "lead.updated")
        for receiver in (crm, other_crm):
            body = signed_body(receiver.posts[-1])
            assert (body["event"], body["handoff"]["id"]) == ("lead.updated", latest.public_id)
            assert body["lead"]["job_title"] == "Head of Sales"


def test_a_withdrawn_hand_off_still_carries_the_correction(site: Site, crm: Receiver) -> None:
    """Restricted after the CRM got the lead: the correction still reaches it (art. 19
    owes it), although nothing else about the withdrawn hand-off is sent."""
    lead = hot(site, EMAIL, **PROFILE)
    deliver(site, "lead.assigned")
    preferences(site, lead, restricted="on")
    correct(site, lead, last_name="Ruiz")
    [update] = updates(site)
    assert update.handoff_id == handoffs(site.rt)[0].id
    deliver(site, "lead.updated")
    [row] = updates(site)
    assert row.status == "delivered"
    body = signed_body(crm.posts[-1])
    assert (body["lead"]["last_name"], body["handoff"]["status"]) == ("Ruiz", "withdrawn")
    assert body["score"] is None  # restricted: the correction, not the scoring


def test_a_confirmed_new_address_reaches_the_crm(
    site: Site, crm: Receiver, enqueued: list[int]
) -> None:
    """The address is rectified too, once confirmed at the new address: the CRM gets it."""
    lead = hot(site, EMAIL, **PROFILE)
    deliver(site, "lead.assigned")
    page = "/my-data/" + site.rt.tokens.sign("preferences", lead.public_id)
    form = {"csrf_token": site.csrf(page), "email": "ximena@new.example"}
    assert site.client.post(page + "/email", data=form).status_code == 200
    assert updates(site) == []  # nothing until the new address confirms
    with unit_of_work(site.rt.sessions) as session:
        change = session.scalars(select(AddressChange)).one()
    confirm = "/address/" + site.rt.tokens.sign("address", change.public_id)
    site.client.post(confirm, data={"csrf_token": site.csrf(confirm)})

    [update] = updates(site)
    assert update.id in enqueued
    deliver(site, "lead.updated")
    assert signed_body(crm.posts[-1])["lead"]["email"] == "ximena@new.example"
