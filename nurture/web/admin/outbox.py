"""The outbox: failed and `unknown` messages, and resending them."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask.typing import ResponseReturnValue

from nurture.admin.outbox import outbox
from nurture.db import after_commit, unit_of_work
from nurture.sending.resend import resend
from nurture.web.admin.common import blueprint, render, runtime


@blueprint.get("/outbox")
def outbox_view() -> ResponseReturnValue:
    with unit_of_work(runtime().sessions) as session:
        found = outbox(session)
    return render("outbox.html", outbox=found)


@blueprint.post("/outbox/<message_id>/resend")
def resend_view(message_id: str) -> ResponseReturnValue:
    rt = runtime()
    with unit_of_work(rt.sessions) as session:
        ids = resend(session, [message_id], rt.wall_clock.now())
        after_commit(session, lambda: rt.actors.enqueue(ids))
    if ids:
        flash(f"message {message_id} queued again", "notice")
    else:
        flash(f"message {message_id} is not failed or unknown (any more): nothing queued", "error")
    return redirect(url_for("admin.outbox_view"), 303)
