"""The capture API: `POST /api/leads`, `POST /api/events`, `GET /api/openapi.json`.

`Authorization: Bearer KEY` with one of NURTURE_API_KEYS (none configured: every call is
401). Bodies are JSON, form-encoded name–value pairs or XML (`api_bodies`), at most 64 KiB.
Answers are JSON: 201 with the lead's public id when created, 200 when merged into a
known lead; errors carry `{"error": …, "field": …}` naming what to fix (`field` is null
for an unknown path, a wrong method or a server error: every answer under /api/ is
JSON). The work is `nurture.leads.capture`'s; what follows a commit (the art. 14 notice,
the score update) is handed to the broker only once the lead is durable.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from flask import Blueprint, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge

from nurture.db import after_commit, unit_of_work
from nurture.leads.capture import capture_lead, read_consent
from nurture.leads.fields import FieldError
from nurture.leads.reported import UnknownLeadError, record_reported_event
from nurture.runtime import Runtime
from nurture.web.api_bodies import BodyError, parse_body
from nurture.web.csrf import csrf
from nurture.web.openapi import document

MAX_BODY = 64 * 1024

blueprint = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(blueprint)  # bearer keys, no cookies: nothing for a cross-site form to ride on


def _runtime() -> Runtime:
    rt: Runtime = current_app.extensions["nurture"]
    return rt


def authorised(header: str, keys: Sequence[str]) -> bool:
    """Every configured key is compared, in constant time, whatever matches first."""
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return False
    token = given.strip().encode()
    matches = [hmac.compare_digest(token, key.encode()) for key in keys]
    return any(matches)


def _error(status: int, message: str, field: str | None) -> tuple[Response, int]:
    return jsonify({"error": message, "field": field}), status


@blueprint.before_request
def _guard() -> ResponseReturnValue | None:
    request.max_content_length = MAX_BODY
    if request.endpoint == "api.openapi":
        return None
    if not authorised(request.headers.get("Authorization", ""), _runtime().settings.api_keys):
        body, status = _error(401, "send Authorization: Bearer <a key>", "Authorization")
        return body, status, {"WWW-Authenticate": 'Bearer realm="nurture"'}
    return None


def _payload() -> dict[str, object]:
    is_form = request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
    pairs = request.form.items(multi=True) if is_form else ()
    body = b"" if is_form else request.get_data()
    return parse_body(request.content_type or "", body, pairs)


@blueprint.post("/leads")
def post_lead() -> ResponseReturnValue:
    rt, payload = _runtime(), _payload()
    purposes = rt.campaigns().purposes
    consent = read_consent(payload.pop("consent", None), purposes)
    with unit_of_work(rt.sessions) as session:
        captured = capture_lead(
            session,
            payload,
            consent,
            purposes=purposes,
            channel="api",
            default_source="api",
            suppression_key=rt.settings.suppression_key,
            now=rt.clock.now(),
        )
        _after_commit(session, rt, captured.lead.id, captured.notice_ids)
        crm_updates = captured.crm_updates
        if crm_updates:
            after_commit(session, lambda: rt.actors.enqueue_deliveries(crm_updates))
        lead = captured.lead
    body = {"id": lead.public_id, "created": captured.created, "consent": captured.consent_recorded}
    return jsonify(body), 201 if captured.created else 200


@blueprint.post("/events")
def post_event() -> ResponseReturnValue:
    rt, payload = _runtime(), _payload()
    with unit_of_work(rt.sessions) as session:
        lead, event = record_reported_event(
            session, payload, source="api", now=rt.clock.now(), campaigns=rt.campaigns()
        )
        _after_commit(session, rt, lead.id, [])
    body = {
        "lead": lead.public_id,
        "type": event.type,
        "occurred_at": event.occurred_at.isoformat(),
        "campaign": event.campaign_id,
        "step": event.step_id,
    }
    return jsonify(body), 201


def _after_commit(session: Session, rt: Runtime, lead_id: int, notices: list[int]) -> None:
    """The art. 14 notice to send and the score to update, once the lead is durable."""
    if notices:
        after_commit(session, lambda: rt.actors.enqueue(notices))
    after_commit(session, lambda: rt.actors.enqueue_score_updates([lead_id]))


@blueprint.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(document(_runtime().settings.base_url))


@blueprint.errorhandler(FieldError)
def _field_error(error: FieldError) -> ResponseReturnValue:
    return _error(422, error.message, error.field)


@blueprint.errorhandler(BodyError)
def _body_error(error: BodyError) -> ResponseReturnValue:
    return _error(error.status, error.message, error.field)


@blueprint.errorhandler(UnknownLeadError)
def _unknown_lead(error: UnknownLeadError) -> ResponseReturnValue:
    return _error(404, str(error), error.field)


@blueprint.errorhandler(RequestEntityTooLarge)
def _too_large(_error_: RequestEntityTooLarge) -> ResponseReturnValue:
    return _error(413, f"the body is larger than {MAX_BODY // 1024} KiB", "body")


@blueprint.app_errorhandler(HTTPException)
def _json_under_api(error: HTTPException) -> ResponseReturnValue:
    """Unknown paths, wrong methods and server errors under /api/ answer in the API's
    error shape, not with Flask's HTML page. Registered for the whole app because routing
    fails before any blueprint is chosen (a blueprint's own handlers never see a 404 or
    405); every other path gets Flask's default answer, unchanged."""
    if request.path != "/api" and not request.path.startswith("/api/"):
        return error
    status = error.code or 500
    body, _ = _error(status, _message(error, status), None)
    kept = [(name, value) for name, value in error.get_headers() if name.lower() == "allow"]
    return body, status, kept


def _message(error: HTTPException, status: int) -> str:
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        allowed = ", ".join(m for m in error.valid_methods if m not in ("HEAD", "OPTIONS"))
        return f"{request.method} is not allowed here: use {allowed}"
    if status == 404:
        return "no such endpoint: the API is described at /api/openapi.json"
    if status >= 500:  # never the exception's text: it is in the log, not for clients
        return "internal error: it has been logged; try again later"
    return error.description or error.name
