"""Unsubscribe and the preference centre: immediate effect, ledger entries, art. 18 and 21."""

from __future__ import annotations

from datetime import timedelta

import pytest

from nurture.consent.ledger import Proof, append, current, records_of
from nurture.consent.suppression import suppression_reason
from nurture.db import unit_of_work
from nurture.models import Lead
from tests.conftest import RuntimeFactory
from tests.pipeline import Engine, messages, write_campaign
from tests.prospects import NO_WINDOW, SIGNED_UP, Site, consented, make_site
from tests.smtp_server import SmtpServer


@pytest.fixture
def site(db_url: str, make_runtime: RuntimeFactory) -> Site:
    return make_site(make_runtime(db_url))


def states(site: Site, lead: Lead) -> dict[str, str]:
    with unit_of_work(site.rt.sessions) as session:
        return {p: c.status for p, c in current(session, lead.id).items()}


def fresh(site: Site, lead: Lead) -> Lead:
    with unit_of_work(site.rt.sessions) as session:
        return session.get_one(Lead, lead.id)


def test_one_click_stops_a_queued_step(engine: Engine, smtp_server: SmtpServer) -> None:
    """A step queued before the one-click POST is not sent: the send-time check wins."""
    site = make_site(engine.rt)
    lead = consented(site, "queued@example.com")
    engine.schedule(SIGNED_UP + timedelta(hours=1))
    [row] = messages(engine.rt)
    assert row.status == "queued"
    url = "/u/" + engine.rt.tokens.sign("unsubscribe", [lead.public_id, "newsletter", "news"])
    assert site.fresh_client().post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    engine.start_worker()
    engine.drain()
    assert [row.status for row in messages(engine.rt)] == ["suppressed"]
    assert smtp_server.messages == []


def test_unsubscribe_page_withdraws_only_that_purpose(site: Site) -> None:
    """ "Unsubscribe from this" withdraws the campaign's purpose and nothing else."""
    lead = consented(site)
    with unit_of_work(site.rt.sessions) as session:
        append(
            session,
            session.get_one(Lead, lead.id),
            "events",
            "granted",
            Proof(source="link"),
            SIGNED_UP,
        )
    url = "/u/" + site.rt.tokens.sign("unsubscribe", [lead.public_id, "newsletter", "news"])
    page = site.client.get(url).get_data(as_text=True)
    assert "Stop all marketing" in page
    answer = site.client.post(url + "/choose", data={"csrf_token": site.csrf(url), "scope": "this"})
    assert "You are unsubscribed" in answer.get_data(as_text=True)
    assert states(site, lead) == {"newsletter": "withdrawn", "events": "given"}
    with unit_of_work(site.rt.sessions) as session:
        key = site.rt.settings.suppression_key
        assert suppression_reason(session, key, lead.email) is None


def test_stop_all_marketing_is_global_and_only_the_person_reverses_it(site: Site) -> None:
    """Objection: every purpose withdrawn, address suppressed as `objected`, profiling off;
    ticking a topic in the preference centre lifts it."""
    lead = consented(site)
    url = "/u/" + site.rt.tokens.sign("unsubscribe", [lead.public_id, "newsletter", "news"])
    site.client.post(url + "/choose", data={"csrf_token": site.csrf(url), "scope": "all"})
    key = site.rt.settings.suppression_key
    with unit_of_work(site.rt.sessions) as session:
        assert suppression_reason(session, key, lead.email) == "objected"
    assert states(site, lead) == {"newsletter": "withdrawn"}
    assert fresh(site, lead).profiling_objected is True

    prefs = "/p/" + site.rt.tokens.sign("preferences", lead.public_id)
    page = site.client.get(prefs).get_data(as_text=True)
    assert "You asked us to stop all marketing" in page
    site.client.post(
        prefs, data={"csrf_token": site.csrf(prefs), "purposes": ["events"], "pause": "0"}
    )
    with unit_of_work(site.rt.sessions) as session:
        assert suppression_reason(session, key, lead.email) is None
    assert states(site, lead)["events"] == "given"


def test_preference_centre_changes_are_ledger_entries(site: Site) -> None:
    """Purposes and tracking on/off, language, pause, restriction and profiling."""
    lead = consented(site)
    prefs = "/p/" + site.rt.tokens.sign("preferences", lead.public_id)
    page = site.client.get(prefs).get_data(as_text=True)
    assert 'value="newsletter" aria-describedby="wording-newsletter" checked' in page
    answer = site.client.post(
        prefs,
        data={
            "csrf_token": site.csrf(prefs),
            "purposes": ["tracking", "product_updates"],
            "locale": "es",
            "pause": "4",
            "restricted": "on",
            "profiling_objected": "on",
        },
    )
    assert "Tus preferencias se han guardado." in answer.get_data(as_text=True)
    assert states(site, lead) == {
        "newsletter": "withdrawn",
        "tracking": "given",
        "product_updates": "given",
    }
    changed = fresh(site, lead)
    assert changed.locale == "es"
    assert changed.paused_until is not None
    assert changed.paused_until - site.rt.clock.now() > timedelta(weeks=3, days=6)
    assert changed.restricted_at is not None
    assert changed.profiling_objected is True
    with unit_of_work(site.rt.sessions) as session:
        sources = {(r.purpose, r.action, r.source) for r in records_of(session, lead.id)}
    assert ("tracking", "granted", "link") in sources
    assert ("newsletter", "withdrawn", "link") in sources


def test_saving_unchanged_preferences_adds_nothing(site: Site) -> None:
    """Idempotent: the same choices posted twice write one set of entries."""
    lead = consented(site)
    prefs = "/p/" + site.rt.tokens.sign("preferences", lead.public_id)
    data = {"purposes": ["newsletter"], "locale": "en", "pause": "0"}
    site.client.post(prefs, data={"csrf_token": site.csrf(prefs), **data})
    with unit_of_work(site.rt.sessions) as session:
        before = len(records_of(session, lead.id))
    site.client.post(prefs, data={"csrf_token": site.csrf(prefs), **data})
    with unit_of_work(site.rt.sessions) as session:
        assert len(records_of(session, lead.id)) == before


def test_withdrawn_tracking_shows_on_the_next_render(
    db_url: str, make_runtime: RuntimeFactory
) -> None:
    """Tracking is the `tracking` purpose: switched off, the ledger says so at once."""
    site = make_site(make_runtime(db_url))
    write_campaign(site.rt, NO_WINDOW)
    lead = consented(site)
    prefs = "/p/" + site.rt.tokens.sign("preferences", lead.public_id)
    site.client.post(
        prefs,
        data={"csrf_token": site.csrf(prefs), "purposes": ["newsletter", "tracking"], "pause": "0"},
    )
    assert states(site, lead)["tracking"] == "given"
    site.client.post(
        prefs, data={"csrf_token": site.csrf(prefs), "purposes": ["newsletter"], "pause": "0"}
    )
    assert states(site, lead)["tracking"] == "withdrawn"
