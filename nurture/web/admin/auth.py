"""Signing in and out, and the dashboard's stylesheet (needed before signing in)."""

from __future__ import annotations

from flask import Response, redirect, request, send_from_directory, url_for
from flask.typing import ResponseReturnValue

from nurture.admin.login import Attempt, check_login
from nurture.db import unit_of_work
from nurture.web.admin.common import blueprint, render, runtime, safe_next
from nurture.web.admin.session import sign_in, sign_out
from nurture.web.pages import origin

STATUS = {"wrong": 401, "limited": 429}


@blueprint.get("/login")
def login_form() -> ResponseReturnValue:
    return render("login.html", next=safe_next(request.args.get("next")), error=None)


@blueprint.post("/login")
def login() -> ResponseReturnValue:
    rt, form = runtime(), request.form
    attempt = Attempt(form.get("username", ""), form.get("password", ""), origin().ip)
    with unit_of_work(rt.sessions) as session:
        password = rt.settings.admin_password or ""
        secret = rt.settings.suppression_key
        outcome = check_login(session, secret, password, attempt, rt.wall_clock.now())
    target = safe_next(form.get("next"))
    if outcome == "ok":
        sign_in(rt, rt.wall_clock.now())
        return redirect(target or url_for("admin.campaigns"), 303)
    return render(
        "login.html", STATUS[outcome], next=target, error=outcome, username=attempt.username
    )


@blueprint.post("/logout")
def logout() -> ResponseReturnValue:
    sign_out()
    return redirect(url_for("admin.login_form"), 303)


@blueprint.get("/assets/admin.css")
def stylesheet() -> Response:
    folder = runtime().settings.templates_dir / "pages" / "assets"
    return send_from_directory(folder, "admin.css")
