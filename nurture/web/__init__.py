"""The Flask application: public pages, signed links, tracking, API, admin."""

from __future__ import annotations

from flask import Flask

from nurture.runtime import Runtime, runtime_from_env
from nurture.web import admin, api, health, links, mydata, public, redact, sales, tracking
from nurture.web.csrf import csrf


def create_app(runtime: Runtime | None = None) -> Flask:
    rt = runtime or runtime_from_env()
    app = Flask(__name__, template_folder=str(rt.settings.templates_dir / "pages"))
    app.config["SECRET_KEY"] = rt.settings.secret_keys[0]
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024  # forms and API bodies; imports use the CLI
    app.extensions["nurture"] = rt
    # Token pages send `Referrer-Policy: no-referrer` (a Referer would carry the token), so
    # their forms arrive without one; Flask-WTF's https-only Referer check would refuse
    # them. The CSRF token and SameSite cookies are the protection; the check goes.
    app.config["WTF_CSRF_SSL_STRICT"] = False
    csrf.init_app(app)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(tracking.blueprint)  # open pixel and click redirect
    app.register_blueprint(sales.blueprint)  # /api/sales: pool, claim, accept, reject
    app.register_blueprint(api.blueprint)  # /api/leads, /api/events, /api/openapi.json
    for prospect_pages in (public, links, mydata):  # subscribe, signed links, data rights
        app.register_blueprint(prospect_pages.blueprint)
    admin.install(app, rt)  # /admin, only when NURTURE_ADMIN_PASSWORD is set
    redact.install()  # werkzeug's access log prints paths, and our paths carry tokens
    return app
