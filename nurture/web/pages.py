"""What every prospect page shares: runtime access, language, branding, headers, errors.

Personal pages (everything behind a signed link) are answered with `no-store` and
`no-referrer` (the token must not reach a cache or another site's logs), a strict
Content-Security-Policy and no framing (an erase button must not be clickjacked).
"""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, current_app, make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError

from nurture.campaigns.purposes import Purposes, load_purposes
from nurture.consent.tokens import ExpiredToken, InvalidToken
from nurture.i18n import choose, translator
from nurture.prospects.resolve import LinkGone
from nurture.prospects.setup import Origin, ProspectSetup
from nurture.runtime import Runtime

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' https:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors {ancestors}"
)


def runtime() -> Runtime:
    rt: Runtime = current_app.extensions["nurture"]
    return rt


def purposes() -> Purposes:
    """The declared purposes; a broken purposes.yaml is an operator error (500, logged)."""
    loaded = runtime().campaigns().purposes
    return loaded if loaded is not None else load_purposes(runtime().settings.campaigns_dir)


def setup() -> ProspectSetup:
    rt, s = runtime(), runtime().settings
    return ProspectSetup(
        suppression_key=s.suppression_key,
        purposes=purposes(),
        enqueue=rt.actors.enqueue,
        clock=rt.clock,
        wall_clock=rt.wall_clock,
        store_consent_ip=s.store_consent_ip,
        subscribe_per_ip_hour=s.subscribe_per_ip_hour,
        confirm_mails_per_hour=s.confirm_mails_per_hour,
        enqueue_deliveries=rt.actors.enqueue_deliveries,
    )


def origin() -> Origin:
    hops = runtime().settings.trusted_proxies
    forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",")]
    ip = forwarded[-hops] if hops and len(forwarded) >= hops else request.remote_addr
    return Origin(ip=ip or None, user_agent=request.user_agent.string or None)


def locale(lead_locale: str | None = None) -> str:
    return choose(lead_locale, [lang for lang, _ in request.accept_languages])


# Seconds: forms that must not tell whether an address is known answer no sooner than
# this after the request came in, well above the work a new address costs.
ANSWER_FLOOR = 0.2


def answer_no_sooner(started: float) -> None:
    """Wait until `ANSWER_FLOOR` seconds after `started` (a `time.monotonic()`)."""
    time.sleep(max(0.0, started + ANSWER_FLOOR - time.monotonic()))


def page(template: str, status: int = 200, *, lang: str | None = None, **context: Any) -> Response:
    """Render ``pages/<template>`` in the chosen language, with the brand and headers."""
    lang = lang or locale()
    s = runtime().settings
    html = render_template(
        template,
        _=translator(lang),
        lang=lang,
        brand={"name": s.brand_name, "logo": s.brand_logo_url},
        privacy_url=s.privacy_url,
        **context,
    )
    return make_response(html, status)


def private(response: Response, *, framable: bool = False) -> Response:
    """Every prospect blueprint's `after_request`: the headers of a personal page."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = CSP.format(
        ancestors="*" if framable else "'none'"
    )
    if not framable:
        response.headers["X-Frame-Options"] = "DENY"
    return response


def invalid_link(_error: Exception) -> ResponseReturnValue:
    """One page for every tampered, wrong-purpose or retired-key link (400)."""
    return page("link_invalid.html", 400)


def gone_link(_error: Exception) -> ResponseReturnValue:
    """The same page for an expired link, or one whose lead was erased (410)."""
    return page("link_invalid.html", 410)


def form_expired(_error: Exception) -> ResponseReturnValue:
    """A form posted without a valid CSRF token (cross-site, or a stale page)."""
    return page("form_expired.html", 400)


def prospect_blueprint(blueprint: Blueprint, framable: frozenset[str] = frozenset()) -> None:
    """Headers and error pages shared by the prospect blueprints."""
    blueprint.after_request(lambda r: private(r, framable=request.endpoint in framable))
    blueprint.register_error_handler(InvalidToken, invalid_link)
    blueprint.register_error_handler(ExpiredToken, gone_link)
    blueprint.register_error_handler(LinkGone, gone_link)
    blueprint.register_error_handler(CSRFError, form_expired)
