"""A person who restricts processing (art. 18) or objects to profiling or to direct
marketing (art. 21) is taken back from sales at once: the hand-off is withdrawn, the
owner cleared, the CRM told with `lead.withdrawn` (no profile), nothing planned before
is sent, and no score update hands the lead over again while the request holds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from nurture.db import unit_of_work
from nurture.handoff.webhook import EVENT_HEADER
from nurture.models import AuditEntry, Event, Lead
from nurture.scoring.maintenance import stale_leads
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
from tests.handoff_support import Receiver, deliveries, event_types, handoffs
from tests.prospects import Site, consented

EMAIL = "ines.withdrawn@example.com"


@pytest.fixture
def site(db_url: str, make_runtime: RuntimeFactory, crm: Receiver) -> Site:
    return crm_site(make_runtime(db_url), crm.url)


@pytest.fixture
def enqueued(site: Site) -> list[int]:
    return record_enqueued(site.rt)


def handed_to_ana(site: Site) -> Lead:
    lead = hot(site, EMAIL, first_name="Inés")
    assert [(h.status, h.rep_id) for h in handoffs(site.rt)] == [("assigned", "ana")]
    return lead


def stop_all_marketing(site: Site, lead: Lead) -> None:
    url = "/u/" + site.rt.tokens.sign("unsubscribe", [lead.public_id, "newsletter", None])
    form = {"csrf_token": site.csrf(url), "scope": "all"}
    assert site.client.post(url + "/choose", data=form).status_code == 200


def owner(site: Site, lead: Lead) -> str | None:
    return site.lead(lead.email).owner  # type: ignore[union-attr]


def withdrawal_data(site: Site, lead: Lead) -> dict[str, Any]:
    with unit_of_work(site.rt.sessions) as session:
        query = select(Event.data).where(
            Event.lead_id == lead.id, Event.type == "handoff_withdrawn"
        )
        return dict(session.scalars(query).one())


def audited(site: Site) -> list[tuple[str, dict[str, Any]]]:
    with unit_of_work(site.rt.sessions) as session:
        query = select(AuditEntry).where(AuditEntry.action == "handoff_withdrawn")
        return [(entry.actor, entry.details) for entry in session.scalars(query)]


def test_a_restriction_takes_the_lead_back_and_tells_the_crm(
    site: Site, crm: Receiver, enqueued: list[int]
) -> None:
    """Restricted in the preference centre: withdrawn, no owner, the CRM told with ids only;
    no new hand-off while it holds, a fresh one once the person lifts it."""
    lead = handed_to_ana(site)
    deliver(site, "lead.assigned")
    assert owner(site, lead) == "ana"
    enqueued.clear()  # the score update's own

    preferences(site, lead, restricted="on")

    [handoff] = handoffs(site.rt)
    assert (handoff.status, handoff.close_reason, handoff.rep_id) == (
        "withdrawn",
        "restricted",
        "ana",  # who had it, for the record and the CRM
    )
    assert handoff.closed_at == NOW
    assert owner(site, lead) is None
    assert event_types(site.rt, lead.id, "handoff_") == ["handoff_assigned", "handoff_withdrawn"]
    assert withdrawal_data(site, lead) == {
        "handoff": handoff.public_id,
        "rep": "ana",
        "why": "restricted",
    }
    assert audited(site) == [("subject", {"reason": "restricted"})]
    [withdrawn] = [d for d in deliveries(site.rt) if d.event == "lead.withdrawn"]
    assert (withdrawn.channel, withdrawn.target, withdrawn.max_attempts) == ("webhook", crm.url, 3)
    assert enqueued == [withdrawn.id]

    deliver(site, "lead.withdrawn")
    told = crm.posts[-1]
    assert told.headers[EVENT_HEADER] == "lead.withdrawn"
    body = signed_body(told)
    assert body["lead"] == {"id": lead.public_id}
    assert body["score"] is None
    assert body["owner"]["id"] == "ana"
    assert (body["handoff"]["id"], body["handoff"]["status"]) == (handoff.public_id, "withdrawn")
    assert body["handoff"]["close_reason"] == "restricted"
    for personal in (EMAIL, "Inés", "Ines"):
        assert personal.encode() not in told.body

    site.rt.scorer.update([lead.id])  # still hot, but restricted: not handed over again
    assert [h.status for h in handoffs(site.rt)] == ["withdrawn"]

    preferences(site, lead)  # the person lifts the restriction
    site.rt.scorer.update([lead.id])
    assert [h.status for h in handoffs(site.rt)] == ["withdrawn", "assigned"]


@pytest.mark.parametrize(
    ("objection", "reason"),
    [("profiling", "objected_to_profiling"), ("marketing", "objected_to_marketing")],
)
def test_an_objection_withdraws_before_anything_reached_sales(
    site: Site, crm: Receiver, enqueued: list[int], objection: str, reason: str
) -> None:
    """Objected before the first delivery went: the owner mail and the `lead.assigned`
    planned earlier are never sent; the CRM hears only `lead.withdrawn`."""
    lead = handed_to_ana(site)
    enqueued.clear()  # the score update's own
    if objection == "profiling":
        preferences(site, lead, profiling_objected="on")
    else:
        stop_all_marketing(site, lead)

    [handoff] = handoffs(site.rt)
    assert (handoff.status, handoff.close_reason) == ("withdrawn", reason)
    assert owner(site, lead) is None
    assert audited(site) == [("subject", {"reason": reason})]
    for row in deliveries(site.rt):
        assert site.rt.handoff_deliverer.deliver(row.id) is None
    outcome = {(d.event, d.channel): (d.status, d.last_error) for d in deliveries(site.rt)}
    refused = ("failed", "attempt 1: the hand-off was withdrawn: not sent")
    assert outcome == {
        ("lead.assigned", "webhook"): refused,
        ("lead.assigned", "email"): refused,
        ("lead.withdrawn", "webhook"): ("delivered", None),
    }
    assert [post.headers[EVENT_HEADER] for post in crm.posts] == ["lead.withdrawn"]
    assert EMAIL.encode() not in crm.posts[0].body
    assert len(enqueued) == 1

    site.rt.scorer.update([lead.id])  # the objection holds: no score, no hand-off
    assert [h.status for h in handoffs(site.rt)] == ["withdrawn"]


def test_a_request_without_an_open_hand_off_changes_nothing_in_sales(
    site: Site, enqueued: list[int]
) -> None:
    """A lead never handed over: the restriction is saved, and sales hears nothing."""
    lead = consented(site, "cold@example.com", country="ES")
    preferences(site, lead, restricted="on", profiling_objected="on")
    assert handoffs(site.rt) == []
    assert deliveries(site.rt) == []
    assert audited(site) == []
    assert enqueued == []


def test_a_score_update_withdraws_what_was_left_open(site: Site) -> None:
    """A restriction recorded before this rule existed (or by any other path): the next
    score update of the lead withdraws its open hand-off, as the system."""
    lead = handed_to_ana(site)
    with unit_of_work(site.rt.sessions) as session:
        session.execute(update(Lead).where(Lead.id == lead.id).values(restricted_at=NOW))
    site.rt.scorer.update([lead.id])
    [handoff] = handoffs(site.rt)
    assert (handoff.status, handoff.close_reason) == ("withdrawn", "restricted")
    assert owner(site, lead) is None
    assert audited(site) == [("system", {"reason": "restricted"})]
    assert [d.event for d in deliveries(site.rt) if d.status == "pending"][-1] == "lead.withdrawn"


def test_the_refresh_withdraws_what_was_left_open_and_then_leaves_the_lead_alone(
    site: Site,
) -> None:
    """The scheduler's refresh is the safety net: it picks a restricted lead only while
    it has an open hand-off (its ledger, outdated for good, is no reason to)."""
    lead = handed_to_ana(site)
    with unit_of_work(site.rt.sessions) as session:
        session.execute(update(Lead).where(Lead.id == lead.id).values(restricted_at=NOW))
    rules = site.rt.scoring().require()
    site.rt.scoring_pass().refresh(rules, NOW + timedelta(days=2))
    assert [(h.status, h.close_reason) for h in handoffs(site.rt)] == [("withdrawn", "restricted")]
    with unit_of_work(site.rt.sessions) as session:
        assert stale_leads(session, rules, NOW + timedelta(days=2), 100) == []
