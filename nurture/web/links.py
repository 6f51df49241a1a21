"""The signed links in emails: confirm, unsubscribe, preferences, address change.

GET and HEAD only ever show a page (mail scanners follow every link); POST acts. The one
exception to CSRF is RFC 8058's one-click POST on `/u/<token>`: mail clients send it
with no cookies and no token, body `List-Unsubscribe=One-Click`. A person's own choice
on the unsubscribe page posts to `/u/<token>/choose`, which carries a CSRF token.
"""

from __future__ import annotations

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import BadRequest

from nurture.db import unit_of_work
from nurture.links import Links
from nurture.models import Lead
from nurture.prospects import consent
from nurture.prospects.address import apply_change
from nurture.prospects.preferences import PAUSE_WEEKS, Choices, apply_choices
from nurture.prospects.resolve import (
    address_change_of,
    confirm_payload,
    lead_by_public_id,
    lead_of,
    unsubscribe_payload,
)
from nurture.web.csrf import csrf
from nurture.web.pages import locale, origin, page, prospect_blueprint, runtime, setup
from nurture.web.views import preferences_view

blueprint = Blueprint("links", __name__)
prospect_blueprint(blueprint)


def _links() -> Links:
    return runtime().links


@blueprint.get("/confirm/<token>")
def confirm_page(token: str) -> ResponseReturnValue:
    public_id, chosen = confirm_payload(runtime().tokens, token)
    with unit_of_work(runtime().sessions) as session:
        lead = lead_by_public_id(session, public_id)
        lang = locale(lead.locale)
        titles = [setup().purposes.title(p, lang) for p in chosen if p in setup().purposes]
    return page("confirm.html", lang=lang, titles=titles)


@blueprint.post("/confirm/<token>")
def confirm_post(token: str) -> ResponseReturnValue:
    public_id, chosen = confirm_payload(runtime().tokens, token)
    with unit_of_work(runtime().sessions) as session:
        lead = lead_by_public_id(session, public_id)
        done = consent.confirm(session, setup(), lead, chosen, origin())
        lang, preferences_url = locale(lead.locale), _links().preferences(lead.public_id)
    body = "confirmed.body" if done else "confirmed.none"
    return page("confirmed.html", lang=lang, body=body, preferences_url=preferences_url)


@blueprint.get("/u/<token>")
def unsubscribe_page(token: str) -> ResponseReturnValue:
    link = unsubscribe_payload(runtime().tokens, token)
    with unit_of_work(runtime().sessions) as session:
        lead = lead_by_public_id(session, link.lead_public_id)
        lang, preferences_url = locale(lead.locale), _links().preferences(lead.public_id)
    title = _title(link.purpose, lang)
    return page("unsubscribe.html", lang=lang, title=title, preferences_url=preferences_url)


@blueprint.post("/u/<token>")
def one_click(token: str) -> ResponseReturnValue:
    """RFC 8058: withdraw the campaign's purpose, commit, answer 200 (no redirect)."""
    link = unsubscribe_payload(runtime().tokens, token)
    if request.form.get("List-Unsubscribe") != "One-Click":
        raise BadRequest("expected the body List-Unsubscribe=One-Click")
    with unit_of_work(runtime().sessions) as session:
        lead = lead_by_public_id(session, link.lead_public_id)
        consent.withdraw(session, setup(), lead, link.purpose, link.campaign_id, origin())
    return Response("Unsubscribed.\n", 200, mimetype="text/plain")


csrf.exempt(one_click)  # mail clients post with no cookie and no token


@blueprint.post("/u/<token>/choose")
def unsubscribe_choice(token: str) -> ResponseReturnValue:
    link = unsubscribe_payload(runtime().tokens, token)
    everything = request.form.get("scope") == "all"
    with unit_of_work(runtime().sessions) as session:
        lead = lead_by_public_id(session, link.lead_public_id)
        if everything:
            consent.object_to_marketing(session, setup(), lead, link.campaign_id, origin())
        else:
            consent.withdraw(session, setup(), lead, link.purpose, link.campaign_id, origin())
        lang, preferences_url = locale(lead.locale), _links().preferences(lead.public_id)
    return page(
        "unsubscribed.html",
        lang=lang,
        everything=everything,
        title=_title(link.purpose, lang),
        preferences_url=preferences_url,
    )


def _title(purpose: str, lang: str) -> str:
    purposes = setup().purposes
    return purposes.title(purpose, lang) if purpose in purposes else purpose


@blueprint.get("/p/<token>")
def preferences_page(token: str) -> ResponseReturnValue:
    with unit_of_work(runtime().sessions) as session:
        lead = lead_of(session, runtime().tokens, "preferences", token)
        return preferences_view(session, lead, saved=False)


@blueprint.post("/p/<token>")
def preferences_post(token: str) -> ResponseReturnValue:
    with unit_of_work(runtime().sessions) as session:
        lead = lead_of(session, runtime().tokens, "preferences", token)
        apply_choices(session, setup(), lead, _choices(lead.locale), origin())
        session.flush()
        return preferences_view(session, lead, saved=True)


def _choices(current_locale: str | None) -> Choices:
    pause = request.form.get("pause", "keep")
    weeks = int(pause) if pause.isdigit() and int(pause) in (0, *PAUSE_WEEKS) else None
    return Choices(
        purposes=frozenset(request.form.getlist("purposes")),
        locale=locale(request.form.get("locale") or current_locale),
        pause_weeks=weeks,
        restricted=request.form.get("restricted") == "on",
        profiling_objected=request.form.get("profiling_objected") == "on",
    )


@blueprint.get("/address/<token>")
def address_page(token: str) -> ResponseReturnValue:
    with unit_of_work(runtime().sessions) as session:
        change = address_change_of(session, runtime().tokens, token)
        lang = locale(session.get_one(Lead, change.lead_id).locale)
    return page("address.html", lang=lang)


@blueprint.post("/address/<token>")
def address_post(token: str) -> ResponseReturnValue:
    with unit_of_work(runtime().sessions) as session:
        change = address_change_of(session, runtime().tokens, token)
        lang = locale(session.get_one(Lead, change.lead_id).locale)
        done = apply_change(session, setup(), change)
    body = "address.done" if done else "address.failed"
    return page("message.html", lang=lang, title="address.title", body=body)
