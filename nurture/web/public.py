"""Pages without a token: `/subscribe`, the fresh-link form `/my-data`, and the CSS.

`/subscribe` answers every valid sign-up with the same page whatever the address (new,
known, confirmed, suppressed, throttled): no enumeration. The same goes for the time it
takes: a new address costs a lead, a ledger entry and a queued mail, a known one nothing,
so both forms answer a valid address no sooner than `ANSWER_FLOOR` after it arrived.
A form posted from another site without our CSRF token changes nothing; the person sees
our own form again with their name and address filled in (never the ticks: consent is
given here, actively).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping

from flask import Blueprint, Response, request, send_from_directory
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError

from nurture.consent.tokens import InvalidToken
from nurture.db import unit_of_work
from nurture.leads.email import InvalidEmail, normalise_email
from nurture.prospects.freshlink import send_fresh_link
from nurture.prospects.signup import SignUpInvalid, read_form, subscribe
from nurture.web.csrf import csrf
from nurture.web.pages import (
    answer_no_sooner,
    locale,
    origin,
    page,
    prospect_blueprint,
    purposes,
    runtime,
    setup,
)

blueprint = Blueprint("public", __name__)
prospect_blueprint(
    blueprint, framable=frozenset({"public.subscribe_form", "public.subscribe_post"})
)


def _form(
    status: int, lang: str, values: Mapping[str, str], error: SignUpInvalid | None = None
) -> ResponseReturnValue:
    return page(
        "subscribe.html",
        status,
        lang=lang,
        purposes=[(p.id, p.title, p.wording) for p in purposes()],
        values=values,
        error=error,
        cross_site=status == 400 and error is None,
        form_token=runtime().tokens.sign("form", secrets.token_urlsafe(9)),
    )


def _signed_form() -> bool:
    """The form's token is signed, not tied to a session: embedded in a marketer's page,
    the form gets no cookie where browsers block third-party cookies, and a session-bound
    token would send the person round in circles. A post without a token of ours (a
    form on another site) still changes nothing."""
    try:
        runtime().tokens.verify("form", request.form.get("csrf_token", ""))
    except InvalidToken:
        return False
    return True


@blueprint.get("/subscribe")
def subscribe_form() -> ResponseReturnValue:
    return _form(200, locale(request.args.get("lang")), {})


@blueprint.post("/subscribe")
def subscribe_post() -> ResponseReturnValue:
    started = time.monotonic()
    lang = locale(request.form.get("locale") or request.args.get("lang"))
    if not _signed_form():
        return _from_another_site(lang)
    try:
        sign_up = read_form(request.form, request.form.getlist("purposes"), purposes().ids, lang)
    except SignUpInvalid as error:
        return _form(400, lang, request.form, error)
    with unit_of_work(runtime().sessions) as session:
        outcome = subscribe(session, setup(), sign_up, origin())
    if outcome == "ip limited":
        return page("message.html", 429, lang=lang, title="limited.title", body="limited.body")
    answer_no_sooner(started)
    return page("message.html", lang=lang, title="subscribed.title", body="subscribed.body")


csrf.exempt(subscribe_post)  # its token is checked by `_signed_form`, without a cookie


def _cross_site(_error: CSRFError) -> ResponseReturnValue:
    return page("form_expired.html", 400)


def _from_another_site(lang: str) -> ResponseReturnValue:
    """Our own form again, with the name and address typed but no box ticked."""
    kept = {k: request.form.get(k, "") for k in ("email", "first_name", "last_name", "locale")}
    return _form(400, lang, kept)


blueprint.register_error_handler(CSRFError, _cross_site)


@blueprint.get("/my-data")
def fresh_link_form() -> ResponseReturnValue:
    return page("fresh_link.html", error=False)


@blueprint.post("/my-data")
def fresh_link_post() -> ResponseReturnValue:
    started = time.monotonic()
    raw = request.form.get("email", "")
    try:
        normalise_email(raw)
    except InvalidEmail:
        return page("fresh_link.html", 400, error=True)
    with unit_of_work(runtime().sessions) as session:
        outcome = send_fresh_link(session, setup(), raw, origin(), locale())
    if outcome == "ip limited":
        return page("message.html", 429, title="limited.title", body="limited.body")
    answer_no_sooner(started)
    return page("message.html", title="fresh.title", body="fresh.sent")


@blueprint.get("/assets/nurture.css")
def stylesheet() -> Response:
    folder = runtime().settings.templates_dir / "pages" / "assets"
    return send_from_directory(folder, "nurture.css")


@blueprint.get("/assets/brand.css")
def brand_stylesheet() -> Response:
    # The colour was checked as a hex colour when the settings were read.
    css = f":root {{ --brand: {runtime().settings.brand_color}; }}\n"
    return Response(css, mimetype="text/css")
