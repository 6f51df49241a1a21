"""The dashboard's blueprint and what every view shares: runtime, rendering, headers,
the sign-in guard and the form error page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError, same_origin

from nurture.runtime import Runtime
from nurture.web.admin.session import PATH, is_admin_path, signed_in

blueprint = Blueprint("admin", __name__, url_prefix=PATH)

# No script at all (the dashboard needs none: charts are server-side SVG), nothing from
# elsewhere, never framed. The step preview page relaxes styles and images for the
# email shown in its sandboxed `srcdoc` frame, which inherits this policy.
CSP = (
    "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
PREVIEW_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'").replace(
    "img-src 'self' data:", "img-src 'self' data: https:"
)
OPEN = frozenset({"admin.login_form", "admin.login", "admin.stylesheet"})


def runtime() -> Runtime:
    rt: Runtime = current_app.extensions["nurture"]
    return rt


def render(template: str, status: int = 200, /, **context: Any) -> Response:
    """`templates/pages/admin/<template>`; Jinja autoescapes every value."""
    s = runtime().settings
    html = render_template(f"admin/{template}", brand={"name": s.brand_name}, **context)
    return make_response(html, status)


def safe_next(target: str | None) -> str | None:
    """Where to go after signing in: only a dashboard path of this site."""
    if not target or "\\" in target or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not is_admin_path(parts.path):
        return None
    return target


@blueprint.before_request
def _same_origin_forms() -> None:
    """Flask-WTF's https Referer check, which `create_app` turns off for the token pages
    (they send no Referer), still holds for the dashboard: its pages send one."""
    if request.method in ("GET", "HEAD", "OPTIONS") or not request.is_secure:
        return
    if not request.referrer or not same_origin(request.referrer, f"https://{request.host}/"):
        raise CSRFError("The form was not posted from a page of the dashboard.")


@blueprint.before_request
def _require_sign_in() -> ResponseReturnValue | None:
    if request.endpoint in OPEN or signed_in(runtime(), runtime().wall_clock.now()):
        return None
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("admin.login_form", next=safe_next(target)), 303)


@blueprint.after_request
def _headers(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Frame-Options"] = "DENY"
    # same-origin: Flask-WTF checks the Referer of forms posted over https; other
    # sites never see dashboard URLs.
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blueprint.errorhandler(CSRFError)
def _form_expired(error: CSRFError) -> ResponseReturnValue:
    return render("expired.html", 400, reason=error.description)
