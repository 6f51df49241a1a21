"""An objection to profiling takes effect at once: no score, no ledger, before any pass."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from nurture.clock import FixedClock
from nurture.db import unit_of_work
from nurture.models import Lead, ScoreLedger
from nurture.scoring.maintenance import stale_leads
from tests.conftest import RuntimeFactory
from tests.handoff_support import add_events, write_rules
from tests.prospects import SIGNED_UP, Site, consented, make_site

NOW = SIGNED_UP + timedelta(hours=1)


@pytest.fixture
def site(db_url: str, make_runtime: RuntimeFactory) -> Site:
    rt = make_runtime(db_url)
    rt.clock = FixedClock(NOW)  # no decay between the replies and the checks
    site = make_site(rt)
    write_rules(rt)
    return site


def scored(site: Site, email: str) -> Lead:
    """A lead with two replies and a country that fits: 50 points and a ledger."""
    lead = consented(site, email, country="PT")
    add_events(site.rt, lead.id, NOW, "email_replied", "email_replied")
    site.rt.scorer.update([lead.id])
    assert profile(site, lead) == (50, 3)
    return lead


def profile(site: Site, lead: Lead) -> tuple[int, int]:
    """(score, ledger lines) as stored right now."""
    with unit_of_work(site.rt.sessions) as session:
        score = session.scalar(select(Lead.score).where(Lead.id == lead.id))
        ledger = session.get(ScoreLedger, lead.id)
        return int(score or 0), len(ledger.lines) if ledger is not None else 0


def test_stop_all_marketing_deletes_the_score_ledger_in_the_same_request(site: Site) -> None:
    """Art. 21 "stop all marketing": the ledger is gone when the page answers."""
    lead = scored(site, "objector@example.com")
    url = "/u/" + site.rt.tokens.sign("unsubscribe", [lead.public_id, "newsletter", None])
    answer = site.client.post(url + "/choose", data={"csrf_token": site.csrf(url), "scope": "all"})
    assert answer.status_code == 200
    assert profile(site, lead) == (0, 0)


def test_the_preference_centres_profiling_objection_deletes_it_too(site: Site) -> None:
    """Ticking "object to profiling" zeroes the score at once; unticking lets it return."""
    lead = scored(site, "no-ranking@example.com")
    prefs = "/p/" + site.rt.tokens.sign("preferences", lead.public_id)
    form = {"csrf_token": site.csrf(prefs), "purposes": ["newsletter"], "pause": "0"}
    site.client.post(prefs, data={**form, "profiling_objected": "on"})
    assert profile(site, lead) == (0, 0)

    site.client.post(prefs, data={**form, "csrf_token": site.csrf(prefs)})
    assert profile(site, lead) == (0, 0)  # nothing is recomputed inside the request…
    site.rt.scoring_pass().refresh(site.rt.scoring().require(), NOW)
    assert profile(site, lead) == (50, 3)  # …the next pass scores the lead again


def test_an_objection_does_not_wait_for_a_broken_scoring_file(site: Site) -> None:
    """Scoring pauses on an invalid scoring.yaml; an objection still clears the profile."""
    lead = scored(site, "urgent@example.com")
    (site.rt.settings.campaigns_dir / "scoring.yaml").write_text("behaviour: [oops\n")
    assert site.rt.scoring().rules is None
    url = "/u/" + site.rt.tokens.sign("unsubscribe", [lead.public_id, "newsletter", None])
    site.client.post(url + "/choose", data={"csrf_token": site.csrf(url), "scope": "all"})
    assert profile(site, lead) == (0, 0)


def test_unticking_profiling_alone_does_not_undo_an_objection_to_marketing(site: Site) -> None:
    """Art. 21(3): after "stop all marketing" nothing is processed for marketing, scoring
    included, until the person switches a topic back on (which lifts the objection)."""
    lead = scored(site, "still-objecting@example.com")
    url = "/u/" + site.rt.tokens.sign("unsubscribe", [lead.public_id, "newsletter", None])
    site.client.post(url + "/choose", data={"csrf_token": site.csrf(url), "scope": "all"})
    prefs = "/p/" + site.rt.tokens.sign("preferences", lead.public_id)
    site.client.post(prefs, data={"csrf_token": site.csrf(prefs), "pause": "0"})
    site.rt.scoring_pass().refresh(site.rt.scoring().require(), NOW)
    assert profile(site, lead) == (0, 0)  # the box stayed ticked: still no score

    form = {"csrf_token": site.csrf(prefs), "purposes": ["newsletter"], "pause": "0"}
    site.client.post(prefs, data=form)  # a topic back on: the objection is lifted
    site.rt.scoring_pass().refresh(site.rt.scoring().require(), NOW)
    assert profile(site, lead) == (50, 3)


def test_a_restricted_leads_score_is_kept_not_recomputed(site: Site) -> None:
    """Art. 18: the data is stored, not processed. New events change nothing while the
    restriction holds; the score and its ledger stay as they were, for the person to see."""
    lead = scored(site, "restricted@example.com")
    prefs = "/p/" + site.rt.tokens.sign("preferences", lead.public_id)
    form = {"purposes": ["newsletter"], "pause": "0"}
    site.client.post(prefs, data={**form, "csrf_token": site.csrf(prefs), "restricted": "on"})
    add_events(site.rt, lead.id, NOW, "email_replied")
    site.rt.scorer.update([lead.id])
    site.rt.scoring_pass().refresh(site.rt.scoring().require(), NOW)
    assert profile(site, lead) == (50, 3)

    site.client.post(prefs, data={**form, "csrf_token": site.csrf(prefs)})  # lifted
    site.rt.scorer.update([lead.id])
    assert profile(site, lead) > (50, 3)


def test_a_stale_restricted_lead_does_not_hold_up_the_refresh(site: Site) -> None:
    """Art. 18 leads are not scored, so the refresh must not pick them as stale: a ledger
    older than `decay.refresh` would otherwise come back in every batch, and a batch of
    only restricted leads scores none, so `refresh` would loop for ever."""
    lead = scored(site, "stale-restricted@example.com")
    prefs = "/p/" + site.rt.tokens.sign("preferences", lead.public_id)
    form = {"purposes": ["newsletter"], "pause": "0", "restricted": "on"}
    site.client.post(prefs, data={**form, "csrf_token": site.csrf(prefs)})
    later = NOW + timedelta(days=2)  # past `refresh: 1d`: the ledger is outdated
    rules = site.rt.scoring().require()
    with unit_of_work(site.rt.sessions) as session:
        assert stale_leads(session, rules, later, 100) == []
    assert site.rt.scoring_pass().refresh(rules, later).scored == 0
    assert profile(site, lead) == (50, 3)  # kept, for the person to see
