"""`/my-data/<token>`: see everything, correct it, download it, erase it.

Downloads are POSTs (with a CSRF token): each records a `data_exported` event, and no GET
may change state. Erasure takes two explicit steps: this page links to a confirmation
page with a short-lived `erase` token, whose form must tick "I understand".
"""

from __future__ import annotations

import json
import time

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from nurture.audit import audit
from nurture.db import savepoint, unit_of_work
from nurture.gdpr.csvfile import export_csv
from nurture.gdpr.erase import erase_lead
from nurture.gdpr.export import export_lead
from nurture.gdpr.rectify import rectify
from nurture.leads.email import InvalidEmail
from nurture.leads.events import record_event
from nurture.leads.fields import FieldError
from nurture.prospects.address import request_change
from nurture.prospects.resolve import lead_of
from nurture.web.pages import (
    answer_no_sooner,
    locale,
    page,
    prospect_blueprint,
    runtime,
    setup,
)
from nurture.web.views import my_data_view

blueprint = Blueprint("my_data", __name__)
prospect_blueprint(blueprint)


@blueprint.get("/my-data/<token>")
def my_data(token: str) -> ResponseReturnValue:
    with unit_of_work(runtime().sessions) as session:
        return my_data_view(session, lead_of(session, runtime().tokens, "preferences", token))


@blueprint.post("/my-data/<token>/correct")
def correct(token: str) -> ResponseReturnValue:
    with unit_of_work(runtime().sessions) as session:
        lead = lead_of(session, runtime().tokens, "preferences", token)
        notify = runtime().actors.enqueue_deliveries  # the CRM's copy is corrected too
        try:
            with savepoint(session):
                rectify(session, lead, request.form, via="link", now=setup().now(), notify=notify)
        except FieldError as error:
            return my_data_view(session, lead, error=error.field, status=400)
        return my_data_view(session, lead, notice="data.corrected")


@blueprint.post("/my-data/<token>/email")
def change_email(token: str) -> ResponseReturnValue:
    """Answered alike, and no sooner, whether the new address is free, taken or
    suppressed: the form must not tell which addresses nurture knows."""
    started = time.monotonic()
    with unit_of_work(runtime().sessions) as session:
        lead = lead_of(session, runtime().tokens, "preferences", token)
        try:
            outcome = request_change(
                session, setup(), lead, request.form.get("email", ""), locale()
            )
        except InvalidEmail:
            return my_data_view(session, lead, error="email", status=400)
        if outcome == "lead limited":
            lang = locale(lead.locale)
            return page("message.html", 429, lang=lang, title="limited.title", body="limited.body")
        answer = my_data_view(session, lead, notice="data.email.sent")
    answer_no_sooner(started)
    return answer


@blueprint.post("/my-data/<token>/export.<fmt>")
def download(token: str, fmt: str) -> ResponseReturnValue:
    if fmt not in ("json", "csv"):
        return page("link_invalid.html", 404)
    rt = runtime()
    with unit_of_work(rt.sessions) as session:
        lead = lead_of(session, rt.tokens, "preferences", token)
        now, lang = rt.clock.now(), locale(lead.locale)
        data = export_lead(session, lead, rt.settings.suppression_key, now, lang)
        record_event(session, lead, "data_exported", occurred_at=now, source="link")
        audit(session, "subject", "data_exported", via="link", format=fmt)
    body = json.dumps(data, ensure_ascii=False, indent=2) if fmt == "json" else export_csv(data)
    mimetype = "application/json" if fmt == "json" else "text/csv"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename=my-data.{fmt}"
    return response


@blueprint.get("/erase/<token>")
def erase_page(token: str) -> ResponseReturnValue:
    with unit_of_work(runtime().sessions) as session:
        lead = lead_of(session, runtime().tokens, "erase", token)
        return page("erase.html", lang=locale(lead.locale), error=False)


@blueprint.post("/erase/<token>")
def erase_post(token: str) -> ResponseReturnValue:
    rt = runtime()
    with unit_of_work(rt.sessions) as session:
        lead = lead_of(session, rt.tokens, "erase", token)
        lang = locale(lead.locale)
        if request.form.get("confirm") != "yes":
            return page("erase.html", 400, lang=lang, error=True)
        erase_lead(
            session,
            lead,
            rt.settings.suppression_key,
            rt.clock.now(),
            actor="subject",
            via="link",
            notify=rt.actors.enqueue_erasure_notices,  # art. 19: tell who received the data
        )
    return page("message.html", lang=lang, title="erased.title", body="erased.body")
