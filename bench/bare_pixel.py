"""The baseline of bench/tracking_load.py: Flask answering the same GIF, doing nothing else.

    gunicorn bench.bare_pixel:app

Self-contained on purpose (nurture is not imported): the baseline is Flask alone.
`bench.tracking_load` checks that both answer the same bytes.
"""

from __future__ import annotations

import base64

from flask import Flask, Response

GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}

app = Flask(__name__)


@app.get("/o/<token>.gif")
def pixel(token: str) -> Response:
    return Response(GIF, mimetype="image/gif", headers=_HEADERS)
