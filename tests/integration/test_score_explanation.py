"""The my-data page and the downloads explain the score rule by rule, in English and Spanish."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest

from nurture.clock import FixedClock
from nurture.db import unit_of_work
from nurture.leads.events import record_event
from nurture.models import Lead
from tests.conftest import RuntimeFactory
from tests.handoff_support import write_rules
from tests.prospects import SIGNED_UP, Site, consented, make_site

NOW = SIGNED_UP + timedelta(days=31)
MONTH_AGO = NOW - timedelta(days=30)  # one half-life (30d in the test rules)


@pytest.fixture
def site(db_url: str, make_runtime: RuntimeFactory) -> Site:
    rt = make_runtime(db_url)
    rt.clock = FixedClock(NOW)
    site = make_site(rt)
    write_rules(rt)
    return site


def explained_lead(site: Site, locale: str) -> Lead:
    """Fit (PT), a reply a month old (decayed by half), three opens on one day (the
    third over the cap) and a scanner's open (not counted)."""
    lead = consented(site, f"explained-{locale}@example.com", country="PT", locale=locale)
    with unit_of_work(site.rt.sessions) as session:
        person = session.get_one(Lead, lead.id)
        record_event(session, person, "email_replied", occurred_at=MONTH_AGO)
        for minute in (1, 2, 3):
            record_event(
                session, person, "email_opened", occurred_at=NOW - timedelta(minutes=minute)
            )
        record_event(session, person, "email_opened", occurred_at=NOW, classification="scanner")
    site.rt.scorer.update([lead.id])
    return lead


def my_data(site: Site, lead: Lead) -> str:
    return "/my-data/" + site.rt.tokens.sign("preferences", lead.public_id)


def test_the_page_lists_every_ledger_line_in_english(site: Site) -> None:
    """Rule, what counted, when, points, what they count for now, and why not."""
    lead = explained_lead(site, "en")
    page = site.client.get(my_data(site, lead)).get_data(as_text=True)
    ledger = page[page.index('id="score-ledger"') :]
    assert "How it was computed on" in page
    assert "<td>iberia</td><td>profile matches (country: PT)</td>" in ledger
    assert "<td>reply</td><td>email_replied</td>" in ledger
    assert "<td>20</td><td>10</td><td>older activity weighs less</td>" in ledger
    assert ledger.count("<td>open</td><td>email_opened</td>") == 4
    assert "limit of 2 a day (UTC) reached" in ledger
    assert "scanner: not a person, not counted" in ledger
    assert "“counts for” is what each still adds" in page


def test_the_page_speaks_spanish_to_a_spanish_lead(site: Site) -> None:
    """The same lines, with the words of the lead's language."""
    lead = explained_lead(site, "es")
    page = site.client.get(my_data(site, lead)).get_data(as_text=True)
    assert "Cómo se calculó el" in page
    assert "el perfil encaja (country: PT)" in page
    assert "la actividad antigua pesa menos" in page
    assert "alcanzado el límite de 2 al día (UTC)" in page
    assert "scanner: no es una persona, no cuenta" in page
    assert '<th scope="col">Cuenta</th>' in page


def test_the_downloads_carry_the_explanation(site: Site) -> None:
    """JSON: one object per ledger line with a sentence; CSV: one item per line."""
    lead = explained_lead(site, "es")
    url = my_data(site, lead)
    exported = site.client.post(url + "/export.json", data={"csrf_token": site.csrf(url)})
    score = json.loads(exported.get_data(as_text=True))["score"]
    assert (score["score"], score["fit"], score["engagement"]) == (30, 10, 20)
    assert score["computed_at"] == NOW.isoformat()
    reply = next(line for line in score["explanation"] if line["rule"] == "reply")
    assert reply == {
        "kind": "behaviour",
        "rule": "reply",
        "what": "email_replied",
        "at": MONTH_AGO.isoformat(),
        "points": 20,
        "counts": 10,
        "note": "la actividad antigua pesa menos",
        "text": f"+20 → 10 · reply · email_replied · {MONTH_AGO:%Y-%m-%d %H:%M} UTC · "
        "la actividad antigua pesa menos",
    }
    assert [line["kind"] for line in score["explanation"]].count("fit") == 1

    as_csv = site.client.post(url + "/export.csv", data={"csrf_token": site.csrf(url)})
    rows = list(csv.reader(io.StringIO(as_csv.get_data(as_text=True))))
    lines = [row for row in rows if row[0] == "score_explanation"]
    assert ["score_explanation", "1", "rule", "iberia"] in lines
    assert len({row[1] for row in lines}) == len(score["explanation"])


def test_an_objecting_lead_gets_no_lines(site: Site) -> None:
    """No profiling, no ledger: the page says so and the export explains nothing."""
    lead = explained_lead(site, "en")
    prefs = "/p/" + site.rt.tokens.sign("preferences", lead.public_id)
    site.client.post(
        prefs,
        data={
            "csrf_token": site.csrf(prefs),
            "purposes": ["newsletter"],
            "pause": "0",
            "profiling_objected": "on",
        },
    )
    url = my_data(site, lead)
    page = site.client.get(url).get_data(as_text=True)
    assert "You objected to profiling" in page
    assert 'id="score-ledger"' not in page
    exported = site.client.post(url + "/export.json", data={"csrf_token": site.csrf(url)})
    assert json.loads(exported.get_data(as_text=True))["score"]["explanation"] == []
