"""Signed links: safe to prefetch, one purpose each, uniform refusals, RFC 8058 one-click."""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Callable

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nurture.consent.ledger import Current, current
from nurture.consent.suppression import suppress, suppression_reason
from nurture.consent.tokens import Tokens
from nurture.db import unit_of_work
from nurture.models import AddressChange, Event, Lead
from nurture.prospects import consent
from nurture.web.pages import ANSWER_FLOOR
from tests.conftest import TEST_KEYS, RuntimeFactory
from tests.prospects import SIGNED_UP, Site, consented, mail_rows, make_site, row_counts

SCANNERS = [
    "Mozilla/5.0 (compatible; Microsoft Office Protocol Discovery) SafeLinks",
    "Proofpoint URL Defense",
    "Mimecast URL Protect",
    "Barracuda Sentinel (EE)",
]
PURPOSES = ("confirm", "unsubscribe", "preferences", "erase", "address")
ENDPOINTS = {"confirm": "/confirm/", "unsubscribe": "/u/", "preferences": "/p/",
             "erase": "/erase/", "address": "/address/"}  # fmt: skip


@pytest.fixture
def site(db_url: str, make_runtime: RuntimeFactory) -> Site:
    return make_site(make_runtime(db_url))


def payloads(site: Site, lead: Lead) -> dict[str, object]:
    """A valid payload of each purpose for this lead (an address change is created)."""
    with unit_of_work(site.rt.sessions) as session:
        change = AddressChange(lead_id=lead.id, new_email="new-ana@example.com")
        session.add(change)
        session.flush()
        change_id = change.public_id
    return {
        "confirm": [lead.public_id, ["newsletter"]],
        "unsubscribe": [lead.public_id, "newsletter", "news"],
        "preferences": lead.public_id,
        "erase": lead.public_id,
        "address": change_id,
    }


def all_links(site: Site, lead: Lead) -> list[str]:
    signed = payloads(site, lead)
    tokens = site.rt.tokens
    urls = [ENDPOINTS[p] + tokens.sign(p, signed[p]) for p in PURPOSES]
    return [*urls, "/my-data/" + tokens.sign("preferences", lead.public_id)]


def test_scanners_get_and_head_change_nothing(site: Site) -> None:
    """GET and HEAD on every link, as mail scanners do, leave every table as it was."""
    lead = consented(site)
    urls = all_links(site, lead)
    before = row_counts(site.rt)
    states_before = _states(site, lead)
    for url in urls:
        for agent in SCANNERS:
            client = site.fresh_client()
            assert client.get(url, headers={"User-Agent": agent}).status_code == 200, url
            assert client.head(url, headers={"User-Agent": agent}).status_code == 200, url
    assert row_counts(site.rt) == before
    assert _states(site, lead) == states_before


def _states(site: Site, lead: Lead) -> dict[str, str]:
    with unit_of_work(site.rt.sessions) as session:
        return {p: c.status for p, c in current(session, lead.id).items()}


@pytest.mark.parametrize("minted_for", PURPOSES)
@pytest.mark.parametrize("endpoint", PURPOSES)
def test_purpose_matrix(site: Site, minted_for: str, endpoint: str) -> None:
    """A token works only at the endpoint of its own purpose; elsewhere: 400, no change."""
    lead = consented(site)
    token = site.rt.tokens.sign(minted_for, payloads(site, lead)[minted_for])
    before = row_counts(site.rt)
    answer = site.fresh_client().get(ENDPOINTS[endpoint] + token)
    if minted_for == endpoint:
        assert answer.status_code == 200
    else:
        assert answer.status_code == 400
        assert "This link does not work" in answer.get_data(as_text=True)
        post = site.client.post(
            ENDPOINTS[endpoint] + token,
            data={"List-Unsubscribe": "One-Click", "csrf_token": site.csrf("/my-data")},
        )
        assert post.status_code == 400
    assert row_counts(site.rt) == before


def _expired(tokens: Tokens, purpose: str, payload: object) -> str:
    """Signed with a current key, but dated 500 days ago (older than any lifetime)."""
    real = time.time
    try:
        time.time = lambda: real() - 500 * 86_400
        return tokens.sign(purpose, payload)
    finally:
        time.time = real


def _future(tokens: Tokens, purpose: str, payload: object) -> str:
    real = time.time
    try:
        time.time = lambda: real() + 3 * 86_400
        return tokens.sign(purpose, payload)
    finally:
        time.time = real


def _tampered(tokens: Tokens, purpose: str, payload: object) -> str:
    token = tokens.sign(purpose, payload)
    return token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")


def _retired(tokens: Tokens, purpose: str, payload: object) -> str:
    return Tokens(("a-key-that-was-retired",)).sign(purpose, payload)


def _foreign_salt(tokens: Tokens, purpose: str, payload: object) -> str:
    return str(URLSafeTimedSerializer(TEST_KEYS[0], salt="someone-else").dumps(payload))


BAD: dict[str, tuple[Callable[[Tokens, str, object], str], int]] = {
    "expired": (_expired, 410),
    "future-dated": (_future, 410),
    "tampered": (_tampered, 400),
    "retired key": (_retired, 400),
    "foreign salt": (_foreign_salt, 400),
}


@pytest.mark.parametrize("kind", BAD)
def test_bad_tokens_get_one_uniform_page(site: Site, kind: str) -> None:
    """Every bad token, on every endpoint and method: the same page, private headers."""
    lead = consented(site)
    make, status = BAD[kind]
    signed = payloads(site, lead)
    csrf = site.csrf("/my-data")  # a genuine session token: only the link is bad
    before = row_counts(site.rt)
    bodies = set()
    for purpose in PURPOSES:
        url = ENDPOINTS[purpose] + make(site.rt.tokens, purpose, signed[purpose])
        for answer in (
            site.fresh_client().get(url),
            site.client.post(url, data={"List-Unsubscribe": "One-Click", "csrf_token": csrf}),
        ):
            assert answer.status_code == status, (purpose, kind)
            assert answer.headers["Referrer-Policy"] == "no-referrer"
            assert answer.headers["Cache-Control"] == "no-store"
            bodies.add(answer.get_data(as_text=True))
    assert len(bodies) == 1
    assert row_counts(site.rt) == before


def test_old_tokens_work_after_a_key_rotation(db_url: str, make_runtime: RuntimeFactory) -> None:
    """Links signed before a new key was put in front still open their pages and act."""
    old = make_site(make_runtime(db_url, secret_keys=("the-old-key",)))
    lead = consented(old)
    link = old.rt.links.unsubscribe(lead.public_id, "newsletter", "news")
    path = "/u/" + link.rsplit("/", 1)[1]
    rotated = make_site(make_runtime(db_url, secret_keys=("the-new-key", "the-old-key")))
    assert rotated.fresh_client().get(path).status_code == 200
    answer = rotated.fresh_client().post(path, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    assert _states(rotated, lead)["newsletter"] == "withdrawn"


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_one_click_without_cookies_unsubscribes_once(site: Site, encoding: str) -> None:
    """RFC 8058: no cookie, no CSRF token, 200 without redirect; a repeat adds nothing."""
    lead = consented(site)
    url = "/u/" + site.rt.tokens.sign("unsubscribe", [lead.public_id, "newsletter", "news"])
    body = {"List-Unsubscribe": "One-Click"}
    kwargs = {"content_type": "multipart/form-data"} if encoding == "multipart" else {}
    first = site.fresh_client().post(url, data=body, **kwargs)
    assert first.status_code == 200
    assert "Location" not in first.headers
    assert _states(site, lead)["newsletter"] == "withdrawn"
    after_first = row_counts(site.rt)
    again = site.fresh_client().post(url, data=body, **kwargs)
    assert again.status_code == 200
    assert row_counts(site.rt) == after_first
    assert _events_of_type(site, "unsubscribed") == 1


def test_two_one_click_posts_at_once_unsubscribe_once(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mail client that posts twice at the same moment: one withdrawal, one event."""
    lead = consented(site)
    url = "/u/" + site.rt.tokens.sign("unsubscribe", [lead.public_id, "newsletter", "news"])
    both_read = threading.Barrier(2, timeout=1)

    def current_then_wait(session: Session, lead_id: int) -> dict[str, Current]:
        found = current(session, lead_id)
        # Both requests hold what they read, neither has written yet; or (a timeout) the
        # other one waits for this one to commit: nothing to meet.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_read.wait()
        return found

    monkeypatch.setattr(consent, "current", current_then_wait)
    answers: list[int] = []

    def press() -> None:
        body = {"List-Unsubscribe": "One-Click"}
        answers.append(site.fresh_client().post(url, data=body).status_code)

    presses = [threading.Thread(target=press) for _ in range(2)]
    for thread in presses:
        thread.start()
    for thread in presses:
        thread.join(60)
    assert answers == [200, 200]
    assert _events_of_type(site, "unsubscribed") == 1
    assert _events_of_type(site, "consent_withdrawn") == 1


def _events_of_type(site: Site, kind: str) -> int:
    with unit_of_work(site.rt.sessions) as session:
        return int(session.scalar(select(func.count()).where(Event.type == kind)) or 0)


def test_a_post_without_the_one_click_body_is_refused(site: Site) -> None:
    """Only `List-Unsubscribe=One-Click` acts on the token URL without a CSRF token."""
    lead = consented(site)
    url = "/u/" + site.rt.tokens.sign("unsubscribe", [lead.public_id, "newsletter", "news"])
    before = row_counts(site.rt)
    assert site.fresh_client().post(url, data={"scope": "all"}).status_code == 400
    assert row_counts(site.rt) == before


def test_cross_site_forms_without_csrf_are_refused(site: Site) -> None:
    """Every human form of the prospect pages refuses a post without its CSRF token."""
    lead = consented(site)
    tokens = site.rt.tokens
    pref = tokens.sign("preferences", lead.public_id)
    signed = payloads(site, lead)
    forms = {
        f"/u/{tokens.sign('unsubscribe', signed['unsubscribe'])}/choose": {"scope": "all"},
        f"/p/{pref}": {"purposes": "events"},
        f"/confirm/{tokens.sign('confirm', signed['confirm'])}": {},
        f"/erase/{tokens.sign('erase', lead.public_id)}": {"confirm": "yes"},
        f"/address/{tokens.sign('address', signed['address'])}": {},
        f"/my-data/{pref}/correct": {"first_name": "Mallory"},
        f"/my-data/{pref}/email": {"email": "mallory@example.com"},
        f"/my-data/{pref}/export.json": {},
        "/my-data": {"email": "ana@example.com"},
        "/subscribe": {"email": "victim@example.com", "purposes": "newsletter"},
    }
    before = row_counts(site.rt)
    for url, data in forms.items():
        answer = site.fresh_client().post(
            url, data=data, headers={"Origin": "https://evil.example"}
        )
        assert answer.status_code == 400, url
    assert row_counts(site.rt) == before
    assert site.lead("ana@example.com") is not None


def test_cross_site_subscribe_shows_our_form_without_ticks(site: Site) -> None:
    """A marketer's form posted from another site lands on our form, nothing pre-ticked."""
    answer = site.fresh_client().post(
        "/subscribe", data={"email": "luz@example.com", "first_name": "Luz",
                            "purposes": "newsletter"},
    )  # fmt: skip
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert 'value="luz@example.com"' in html
    assert "checked" not in html
    assert "another website" in html


def test_address_change_needs_the_new_address_to_confirm(site: Site) -> None:
    """Nothing changes until the link sent to the new address is used; then it does."""
    lead = consented(site)
    page = "/my-data/" + site.rt.tokens.sign("preferences", lead.public_id)
    answer = site.client.post(
        page + "/email", data={"csrf_token": site.csrf(page), "email": "Ana.New@Example.com"}
    )
    assert answer.status_code == 200
    [row] = mail_rows(site.rt)
    assert row.context["to"] == "ana.new@example.com"
    assert row.template == "transactional/confirm_address"
    assert site.lead("ana@example.com") is not None  # unchanged so far
    with unit_of_work(site.rt.sessions) as session:
        change = session.scalars(select(AddressChange)).one()
    confirm = "/address/" + site.rt.tokens.sign("address", change.public_id)
    done = site.client.post(confirm, data={"csrf_token": site.csrf(confirm)})
    assert "Your email address is changed." in done.get_data(as_text=True)
    moved = site.lead("ana.new@example.com")
    assert moved is not None
    assert moved.id == lead.id
    assert site.lead("ana@example.com") is None
    assert site.client.get(confirm).status_code == 410  # used up


def test_address_change_to_a_taken_address_sends_nothing(site: Site) -> None:
    """Another lead's address gets the same answer, and no mail (no enumeration)."""
    lead = consented(site)
    consented(site, "taken@example.com")
    page = "/my-data/" + site.rt.tokens.sign("preferences", lead.public_id)
    answer = site.client.post(
        page + "/email", data={"csrf_token": site.csrf(page), "email": "taken@example.com"}
    )
    assert answer.status_code == 200
    assert "a confirmation link is on its way" in answer.get_data(as_text=True)
    assert mail_rows(site.rt) == []


def ask_new_address(site: Site, lead: Lead, email: str) -> tuple[int, float]:
    """The my-data address form: its status code and how long the answer took."""
    page = "/my-data/" + site.rt.tokens.sign("preferences", lead.public_id)
    token = site.csrf(page)
    started = time.monotonic()
    answer = site.client.post(page + "/email", data={"csrf_token": token, "email": email})
    return answer.status_code, time.monotonic() - started


def confirm_new_address(site: Site) -> None:
    with unit_of_work(site.rt.sessions) as session:
        change = session.scalars(select(AddressChange)).one()
    confirm = "/address/" + site.rt.tokens.sign("address", change.public_id)
    assert site.client.post(confirm, data={"csrf_token": site.csrf(confirm)}).status_code == 200


def test_the_page_answering_its_own_forms_keeps_their_targets(site: Site) -> None:
    """After a refused correction (and after a saved one) every form still posts to the
    my-data page's own routes, and the next try is saved."""
    lead = consented(site)
    page = "/my-data/" + site.rt.tokens.sign("preferences", lead.public_id)
    targets = [page + route for route in ("/correct", "/email", "/export.json", "/export.csv")]
    form = {"csrf_token": site.csrf(page), "first_name": "Ana", "country": "Narnia"}

    refused = site.client.post(page + "/correct", data=form)

    assert refused.status_code == 400
    assert re.findall(r'action="([^"]+)"', refused.get_data(as_text=True)) == targets
    saved = site.client.post(page + "/correct", data={**form, "country": "ES"})
    assert saved.status_code == 200
    assert re.findall(r'action="([^"]+)"', saved.get_data(as_text=True)) == targets
    assert site.lead("ana@example.com").country == "ES"  # type: ignore[union-attr]


@pytest.mark.parametrize("old_state", ["bounced", "restricted"])
def test_the_new_address_gets_its_confirmation_whatever_the_old_one_went_through(
    site: Site, old_state: str
) -> None:
    """Moving away from a bouncing mailbox is the usual reason to change address, and a
    restriction (art. 18) leaves the right to rectification (art. 16) intact."""
    lead = consented(site)
    with unit_of_work(site.rt.sessions) as session:
        if old_state == "bounced":
            suppress(session, site.rt.settings.suppression_key, lead.email, "bounced", SIGNED_UP)
        else:
            session.get_one(Lead, lead.id).restricted_at = SIGNED_UP
    assert ask_new_address(site, lead, "ana.new@example.com")[0] == 200

    [row] = mail_rows(site.rt)
    assert site.rt.sender.deliver(row.id).status == "sent"


def test_an_objection_moves_with_the_address(site: Site) -> None:
    """ "Stop all marketing", then a new address: the new address is suppressed as the
    old one is, so a later import of it under legitimate interest stays refused."""
    lead = consented(site)
    url = "/u/" + site.rt.tokens.sign("unsubscribe", [lead.public_id, "newsletter", "news"])
    site.client.post(url + "/choose", data={"csrf_token": site.csrf(url), "scope": "all"})
    ask_new_address(site, lead, "ana.new@example.com")
    confirm_new_address(site)

    key = site.rt.settings.suppression_key
    with unit_of_work(site.rt.sessions) as session:
        assert suppression_reason(session, key, "ana.new@example.com") == "objected"
        assert suppression_reason(session, key, "ana@example.com") == "objected"


def test_a_bounce_stays_with_the_old_mailbox(site: Site) -> None:
    lead = consented(site)
    with unit_of_work(site.rt.sessions) as session:
        suppress(session, site.rt.settings.suppression_key, lead.email, "bounced", SIGNED_UP)
    ask_new_address(site, lead, "ana.new@example.com")
    confirm_new_address(site)

    with unit_of_work(site.rt.sessions) as session:
        assert (
            suppression_reason(session, site.rt.settings.suppression_key, "ana.new@example.com")
            is None
        )


def test_the_address_form_tells_nothing_by_its_timing_and_limits_each_lead(site: Site) -> None:
    """A taken, a suppressed and a free address take no less than the floor; a lead asking
    over and over is stopped (one could otherwise test address after address)."""
    lead = consented(site)
    consented(site, "taken@example.com")
    with unit_of_work(site.rt.sessions) as session:
        suppress(session, site.rt.settings.suppression_key, "gone@example.com", "erased", SIGNED_UP)
    for email in ("taken@example.com", "gone@example.com", "free@example.com"):
        status, took = ask_new_address(site, lead, email)
        assert (status, took >= ANSWER_FLOOR) == (200, True), email
    for n in range(2):
        assert ask_new_address(site, lead, f"more{n}@example.com")[0] == 200
    assert ask_new_address(site, lead, "sixth@example.com")[0] == 429
