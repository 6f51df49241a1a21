"""`/api/sales/…`: the pool, claim, accept and reject, for a CRM or the sales dashboard.

`Authorization: Bearer KEY` (one of NURTURE_API_KEYS; none configured → 401), JSON or
form-encoded bodies, JSON answers; errors name what is wrong:

    GET  /api/sales/pool
    POST /api/sales/handoffs/<id>/claim    {"rep": "ana"}
    POST /api/sales/handoffs/<id>/accept   {"rep": "ana"}       (rep optional once claimed)
    POST /api/sales/handoffs/<id>/reject   {"reason": "not_ready", "rep": "ana"}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from nurture.db import after_commit, unit_of_work
from nurture.handoff import listing
from nurture.handoff.pool import (
    HandoffNotFound,
    Sales,
    SalesError,
    UnknownRep,
    accept,
    claim,
    find_open,
    reject,
)
from nurture.models import Handoff
from nurture.runtime import Runtime
from nurture.web.api import authorised
from nurture.web.csrf import csrf

blueprint = Blueprint("sales", __name__, url_prefix="/api/sales")
csrf.exempt(blueprint)  # bearer keys, no cookies: nothing for a cross-site form to ride on

Action = Callable[[Session, Sales, Handoff, dict[str, str]], list[int]]


def _runtime() -> Runtime:
    rt: Runtime = current_app.extensions["nurture"]
    return rt


def _error(status: int, message: str, field: str | None = None) -> ResponseReturnValue:
    body: dict[str, Any] = {"error": message}
    if field is not None:
        body["field"] = field
    return jsonify(body), status


def _body() -> dict[str, str]:
    data = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    if not isinstance(data, dict):
        return {}
    return {str(key): str(value) for key, value in data.items() if value is not None}


def _sales(rt: Runtime) -> Sales | None:
    rules = rt.scoring().rules
    if rules is None:
        return None
    return Sales(rules, rt.clock.now(), rt.settings.count_machine_engagement)


@blueprint.before_request
def _check_key() -> ResponseReturnValue | None:
    if not authorised(request.headers.get("Authorization", ""), _runtime().settings.api_keys):
        return _error(401, "send Authorization: Bearer <one of NURTURE_API_KEYS>")
    return None


@blueprint.get("/pool")
def pool() -> ResponseReturnValue:
    rt = _runtime()
    with unit_of_work(rt.sessions) as session:
        entries = listing.pool(session)
    now = rt.clock.now()
    return jsonify(
        pool=[
            {
                "handoff": e.handoff_id,
                "email": e.email,
                "name": e.name,
                "company": e.company,
                "country": e.country,
                "score": e.score,
                "temperature": e.temperature,
                "stage": e.stage,
                "reason": e.reason,
                "since": e.since.isoformat(),
                "due_at": e.due_at.isoformat() if e.due_at else None,
                "overdue": e.overdue(now),
                "recalls": e.recalls,
            }
            for e in entries
        ]
    )


def _act(handoff_id: str, action: Action) -> ResponseReturnValue:
    rt = _runtime()
    sales = _sales(rt)
    if sales is None:
        return _error(503, "scoring.yaml is invalid: run `nurture campaigns validate`")
    body = _body()
    try:
        with unit_of_work(rt.sessions) as session:
            handoff = find_open(session, handoff_id=handoff_id)
            ids = action(session, sales, handoff, body)
            status = handoff.status
            after_commit(session, lambda: rt.actors.enqueue_deliveries(ids))
    except HandoffNotFound as error:
        return _error(404, str(error))
    except UnknownRep as error:
        return _error(400, str(error), "rep")
    except SalesError as error:  # the hand-off is not in a state that allows it
        return _error(409, str(error))
    return jsonify(handoff=handoff_id, status=status)


@blueprint.post("/handoffs/<handoff_id>/claim")
def claim_view(handoff_id: str) -> ResponseReturnValue:
    if not _body().get("rep"):
        return _error(400, "say which rep claims the lead", "rep")
    return _act(handoff_id, lambda s, sales, h, body: claim(s, sales, h, body["rep"]))


@blueprint.post("/handoffs/<handoff_id>/accept")
def accept_view(handoff_id: str) -> ResponseReturnValue:
    return _act(handoff_id, lambda s, sales, h, body: accept(s, sales, h, body.get("rep")))


@blueprint.post("/handoffs/<handoff_id>/reject")
def reject_view(handoff_id: str) -> ResponseReturnValue:
    if not _body().get("reason", "").strip():
        return _error(400, "say why the lead is rejected: it goes back to nurture", "reason")
    return _act(
        handoff_id, lambda s, sales, h, body: reject(s, sales, h, body["reason"], body.get("rep"))
    )
