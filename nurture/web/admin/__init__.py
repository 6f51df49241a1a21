"""The marketer dashboard at `/admin` (user `admin`, NURTURE_ADMIN_PASSWORD).

Without a password nothing is mounted: every /admin URL is a 404. Views stay thin over
`nurture.admin` and the services that own the data; templates live in
`templates/pages/admin/`.
"""

from __future__ import annotations

from flask import Flask

from nurture.runtime import Runtime
from nurture.web.admin import auth, campaigns, leads, outbox, sales  # noqa: F401 - routes
from nurture.web.admin.common import blueprint
from nurture.web.admin.session import AdminCookie, PathSessions


def install(app: Flask, rt: Runtime) -> None:
    if not rt.settings.admin_password:
        return
    app.session_interface = PathSessions(app.session_interface, AdminCookie())
    app.register_blueprint(blueprint)
