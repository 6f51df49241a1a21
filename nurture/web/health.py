"""`GET /healthz`: database and broker status for load balancers and operators."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from nurture.broker import broker_status
from nurture.runtime import Runtime

blueprint = Blueprint("health", __name__)


def runtime() -> Runtime:
    rt: Runtime = current_app.extensions["nurture"]
    return rt


def _database(rt: Runtime) -> dict[str, str]:
    try:
        with rt.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any failure means "down" for a health check
        return {"status": "down", "error": type(error).__name__}
    return {"status": "ok", "dialect": rt.engine.dialect.name}


@blueprint.get("/healthz")
def healthz() -> ResponseReturnValue:
    rt = runtime()
    database, broker = _database(rt), broker_status(rt.broker)
    healthy = database["status"] == "ok" and broker["status"] == "ok"
    body = {"status": "ok" if healthy else "degraded", "database": database, "broker": broker}
    return jsonify(body), 200 if healthy else 503
