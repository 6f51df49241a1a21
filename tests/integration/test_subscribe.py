"""`/subscribe`: no enumeration, no bombing, no bots, nothing before the double opt-in."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest

from nurture.consent.ledger import current, records_of
from nurture.consent.suppression import suppress
from nurture.db import unit_of_work
from nurture.models import Lead
from nurture.prospects.mailing import FRESH_LINK
from nurture.sending.checks import SELF_SERVICE_TEMPLATES
from nurture.web.pages import ANSWER_FLOOR
from tests.conftest import RuntimeFactory
from tests.prospects import Site, consented, csrf_of, mail_rows, make_site


@pytest.fixture
def site(db_url: str, make_runtime: RuntimeFactory) -> Site:
    return make_site(make_runtime(db_url))


def sign_up(site: Site, email: str, ip: str = "192.0.2.1", **extra: object) -> tuple[int, str]:
    token = site.csrf("/subscribe")
    data = {"csrf_token": token, "email": email, "purposes": ["newsletter"], **extra}
    answer = site.client.post("/subscribe", data=data, environ_base={"REMOTE_ADDR": ip})
    return answer.status_code, answer.get_data(as_text=True).replace(token, "CSRF")


def test_the_form_ticks_nothing_and_labels_everything(site: Site) -> None:
    """Every purpose has a labelled, unticked box with its wording; the page is accessible."""
    html = site.client.get("/subscribe").get_data(as_text=True)
    assert "checked" not in html
    for purpose in ("newsletter", "product_updates", "events", "tracking"):
        assert f'<label for="purpose-{purpose}">' in html
        assert f'aria-describedby="wording-{purpose}"' in html
    assert '<html lang="en">' in html
    assert "<main" in html
    assert 'href="#content"' in html


def test_spanish_from_accept_language(site: Site) -> None:
    """A browser asking for Spanish gets the form in Spanish, with the Spanish wording."""
    html = site.client.get("/subscribe", headers={"Accept-Language": "es-ES,es;q=0.9"}).text
    assert '<html lang="es">' in html
    assert "Suscríbete" in html
    assert "Quiero recibir el boletín" in html


def test_identical_answers_whatever_the_address(site: Site) -> None:
    """New, known-unconfirmed, confirmed and suppressed addresses: same status and body."""
    consented(site, "confirmed@example.com")
    sign_up(site, "pending@example.com", ip="192.0.2.9")
    consented(site, "suppressed@example.com")
    with unit_of_work(site.rt.sessions) as session:
        suppress(
            session,
            site.rt.settings.suppression_key,
            "suppressed@example.com",
            "objected",
            site.rt.clock.now(),
        )
    answers = {
        email: sign_up(site, email, ip=f"192.0.2.{n}")
        for n, email in enumerate(
            [
                "new@example.com",
                "pending@example.com",
                "confirmed@example.com",
                "suppressed@example.com",
            ],
            start=20,
        )
    }
    assert len(set(answers.values())) == 1
    assert next(iter(answers.values()))[0] == 200
    assert len(mail_rows(site.rt)) == 2  # pending's first sign-up and the new address; nobody else


def ask_fresh_link(site: Site, email: str, ip: str = "192.0.2.1") -> tuple[int, str]:
    token = site.csrf("/my-data")
    data = {"csrf_token": token, "email": email}
    answer = site.client.post("/my-data", data=data, environ_base={"REMOTE_ADDR": ip})
    return answer.status_code, answer.get_data(as_text=True).replace(token, "CSRF")


@pytest.mark.parametrize("ask", [sign_up, ask_fresh_link])
def test_known_and_unknown_addresses_cannot_be_told_apart_by_time(
    site: Site, ask: Callable[..., tuple[int, str]]
) -> None:
    """A held address costs the server writes and a queued mail, an unknown one nothing:
    the answer waits for the same floor, so its timing says nothing of which is which."""
    consented(site, "known@example.com")
    answers = set()
    for n, email in enumerate(["known@example.com", "unknown@example.com"]):
        started = time.monotonic()
        answers.add(ask(site, email, ip=f"192.0.2.{n + 40}"))
        assert time.monotonic() - started >= ANSWER_FLOOR, email
    assert len(answers) == 1


def test_subscription_bombing_sends_one_confirmation_an_hour(site: Site) -> None:
    """20 sign-ups for one address from 20 IPs: one confirmation mail."""
    for n in range(20):
        assert sign_up(site, "victim@example.com", ip=f"198.51.100.{n}")[0] == 200
    assert len(mail_rows(site.rt)) == 1


def test_sub_addresses_of_one_mailbox_share_its_limit(site: Site) -> None:
    """victim+1@, victim+2@… all land in one inbox: one confirmation an hour between them."""
    for n in range(5):
        assert sign_up(site, f"victim+{n}@example.com", ip=f"198.51.100.{n}")[0] == 200
    assert len(mail_rows(site.rt)) == 1


def test_per_ip_limit(site: Site) -> None:
    """One IP address gets 10 sign-ups an hour, then a 429 page; nothing more recorded."""
    for n in range(10):
        assert sign_up(site, f"person{n}@example.com", ip="203.0.113.5")[0] == 200
    status, body = sign_up(site, "one-more@example.com", ip="203.0.113.5")
    assert status == 429
    assert "Too many attempts" in body
    assert site.lead("one-more@example.com") is None


def test_an_ipv6_network_counts_as_one_address(site: Site) -> None:
    """A host given a /64 cannot rotate through its addresses past the per-IP limit."""
    for n in range(10):
        assert sign_up(site, f"person{n}@example.com", ip=f"2001:db8:1:2::{n + 1:x}")[0] == 200
    status, _ = sign_up(site, "one-more@example.com", ip="2001:db8:1:2:ffff::1")
    assert status == 429
    assert site.lead("one-more@example.com") is None


def test_the_honeypot_records_nothing(site: Site) -> None:
    """A bot that fills the hidden field gets the usual answer and nothing happens."""
    status, body = sign_up(site, "bot@example.com", homepage="https://spam.example")
    assert status == 200
    assert "Check your inbox" in body
    assert site.lead("bot@example.com") is None
    assert mail_rows(site.rt) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not-an-address", "purposes": ["newsletter"]}, "Enter a valid email"),
        ({"email": "a@example.com"}, "Tick at least one box"),
        ({"email": "a@example.com", "purposes": ["spam"]}, "unknown purpose"),
        ({"email": "a@example.com", "purposes": ["newsletter"], "locale": "xx_bad!"}, "locale"),
    ],
)
def test_bad_input_is_explained_and_records_nothing(
    site: Site, data: dict[str, object], message: str
) -> None:
    """Each bad field gets a 400 naming it; the address typed is kept, nothing stored."""
    answer = site.client.post("/subscribe", data={"csrf_token": site.csrf("/subscribe"), **data})
    assert answer.status_code == 400
    assert message in answer.get_data(as_text=True)
    assert site.lead("a@example.com") is None


def test_a_grant_is_pending_until_confirmed(site: Site) -> None:
    """The ledger holds the wording and its hash; consent is given only after the link."""
    sign_up(site, "eva@example.com", first_name="Eva")
    lead = site.lead("eva@example.com")
    assert lead is not None
    with unit_of_work(site.rt.sessions) as session:
        [grant] = records_of(session, lead.id)
        assert current(session, lead.id)["newsletter"].status == "pending"
    assert grant.wording is not None
    assert grant.wording.startswith("Email me the newsletter")
    assert grant.wording_hash is not None
    assert grant.ip == "192.0.2.1"
    confirm = "/confirm/" + site.rt.tokens.sign("confirm", [lead.public_id, ["newsletter"]])
    page = site.client.get(confirm).get_data(as_text=True)
    assert "Newsletter" in page
    done = site.client.post(confirm, data={"csrf_token": csrf_of(page)})
    assert "You are subscribed" in done.get_data(as_text=True)
    with unit_of_work(site.rt.sessions) as session:
        assert current(session, lead.id)["newsletter"].status == "given"


def test_ip_is_not_stored_when_the_operator_says_so(
    db_url: str, make_runtime: RuntimeFactory
) -> None:
    """NURTURE_STORE_CONSENT_IP=false: the ledger keeps neither IP nor user agent."""
    site = make_site(make_runtime(db_url, store_consent_ip=False))
    sign_up(site, "min@example.com")
    lead = site.lead("min@example.com")
    assert lead is not None
    with unit_of_work(site.rt.sessions) as session:
        [grant] = records_of(session, lead.id)
    assert (grant.ip, grant.user_agent) == (None, None)


def test_a_known_lead_is_not_overwritten_by_the_public_form(site: Site) -> None:
    """Anyone may type anyone's address: a sign-up never changes a known lead's name."""
    consented(site, "known@example.com", first_name="Real")
    sign_up(site, "known@example.com", first_name="Mallory", purposes=["events"])
    lead = site.lead("known@example.com")
    assert lead is not None
    assert lead.first_name == "Real"
    assert re.search("Mallory", str(lead.field_values())) is None


def test_forms_work_over_https_without_a_referer(site: Site) -> None:
    """Token pages send no Referer (it would carry the token): https forms must still pass."""
    client = site.app.test_client()
    page = client.get("/subscribe", base_url="https://nurture.test.example")
    token = csrf_of(page.get_data(as_text=True))
    answer = client.post(
        "/subscribe",
        base_url="https://nurture.test.example",
        data={"csrf_token": token, "email": "https@example.com", "purposes": ["newsletter"]},
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]


@pytest.mark.parametrize(
    ("suppressed", "restricted", "mailed"),
    [
        ("objected", False, True),  # "stop all marketing" is not "stop my rights"
        ("unsubscribed", False, True),
        (None, True, True),  # a restriction keeps the data; the person still reaches it
        ("bounced", False, False),  # the mailbox does not exist
        ("complained", False, False),  # the person marked our mail as spam
    ],
)
def test_a_fresh_link_reaches_people_who_said_stop(
    site: Site, suppressed: str | None, restricted: bool, mailed: bool
) -> None:
    """The link is how a person sees, exports or erases their data and reverses their own
    choice: their objection or restriction must not lock them out. Only a mailbox that
    bounced or complained gets nothing (and the page says the same either way)."""
    lead = consented(site, "stopped@example.com")
    with unit_of_work(site.rt.sessions) as session:
        if suppressed:
            key = site.rt.settings.suppression_key
            suppress(session, key, lead.email, suppressed, site.rt.clock.now())
        if restricted:
            session.get_one(Lead, lead.id).restricted_at = site.rt.clock.now()

    assert ask_fresh_link(site, "stopped@example.com")[0] == 200

    rows = [row for row in mail_rows(site.rt) if row.template == FRESH_LINK]
    assert len(rows) == (1 if mailed else 0)
    for row in rows:
        assert site.rt.sender.deliver(row.id).status == "sent"


def test_the_sender_knows_the_fresh_link_is_self_service() -> None:
    assert FRESH_LINK in SELF_SERVICE_TEMPLATES


def test_an_embedded_form_works_without_cookies(site: Site) -> None:
    """In a marketer's iframe, browsers that block third-party cookies send none: the form
    sets none and its signed token is enough. Without a token of ours, or with a stale
    or forged one, the post changes nothing and the person gets our own form again."""
    form = site.fresh_client().get("/subscribe")
    assert "Set-Cookie" not in form.headers
    token = csrf_of(form.get_data(as_text=True))
    data = {"email": "embedded@example.com", "purposes": ["newsletter"]}

    for bad in ("", token[:-2] + "xx", site.rt.tokens.sign("preferences", "not-a-form")):
        refused = site.fresh_client().post("/subscribe", data={**data, "csrf_token": bad})
        assert refused.status_code == 400
        assert "another website" in refused.get_data(as_text=True)
    assert site.lead("embedded@example.com") is None

    answer = site.fresh_client().post("/subscribe", data={**data, "csrf_token": token})
    assert answer.status_code == 200
    assert "Check your inbox" in answer.get_data(as_text=True)
    assert site.lead("embedded@example.com") is not None
