"""`GET /o/<token>.gif` open pixel and `GET|HEAD /c/<token>` click redirect.

Each does the least that is safe: verify the signature, append the hit to the buffer,
answer. The pixel is the same 1×1 GIF whatever the token; the redirect goes to exactly
the URL signed into the token, else 400 without a Location header.
"""

from __future__ import annotations

import base64

from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue

from nurture.runtime import Runtime
from nurture.tracking.recorder import Request
from nurture.tracking.services import TrackingServices
from nurture.web.pages import origin

blueprint = Blueprint("tracking", __name__)

GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
# Never cached (each open must reach us) and no Referer carrying the token onwards.
_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _tracking() -> TrackingServices:
    rt: Runtime = current_app.extensions["nurture"]
    rt.tracking.background.note_hit()
    return rt.tracking


def _hit() -> Request:
    who = origin()
    return Request(request.method, who.ip, who.user_agent or "")


@blueprint.get("/o/<token>.gif")
def pixel(token: str) -> ResponseReturnValue:
    _tracking().recorder.open(token, _hit())
    return Response(GIF, mimetype="image/gif", headers=_HEADERS)


@blueprint.route("/c/<token>", methods=["GET", "HEAD"])
def click(token: str) -> ResponseReturnValue:
    target = _tracking().recorder.click(token, _hit())
    if target is None:
        return Response("This link is not valid.\n", 400, mimetype="text/plain", headers=_HEADERS)
    if target.url is None:  # the honeypot: nothing to see, nowhere to go
        return Response(status=204, headers=_HEADERS)
    return Response(status=302, headers={**_HEADERS, "Location": target.url})
