"""The sales pool and the hand-off queue: claim, accept, reject (with a reason).

The actions are `nurture.handoff.pool`'s, as for `/api/sales` and `nurture sales`; their
deliveries (rep email, CRM webhook) are enqueued once the change is committed.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from nurture.admin.handoffs import queue
from nurture.db import after_commit, unit_of_work
from nurture.handoff import listing
from nurture.handoff.pool import Sales, SalesError, accept, claim, find_open, reject
from nurture.models import Handoff
from nurture.web.admin.common import blueprint, render, runtime

Action = Callable[[Session, Sales, Handoff], list[int]]


@blueprint.get("/sales")
def sales() -> ResponseReturnValue:
    rt = runtime()
    rules = rt.scoring().rules
    handoff = rules.handoff if rules is not None else None
    with unit_of_work(rt.sessions) as session:
        pool, assigned = listing.pool(session), queue(session)
        reps = listing.reps(session, handoff) if handoff is not None else []
    state = {"configured": handoff is not None, "scoring_ok": rules is not None}
    return render("sales.html", pool=pool, queue=assigned, reps=reps, now=rt.clock.now(), **state)


def _act(handoff_id: str, done: str, action: Action) -> ResponseReturnValue:
    rt = runtime()
    rules = rt.scoring().rules
    try:
        if rules is None:
            raise SalesError("scoring.yaml is invalid: run `nurture campaigns validate`")
        sales_ = Sales(rules, rt.clock.now(), rt.settings.count_machine_engagement)
        with unit_of_work(rt.sessions) as session:
            ids = action(session, sales_, find_open(session, handoff_id=handoff_id))
            after_commit(session, lambda: rt.actors.enqueue_deliveries(ids))
        flash(done, "notice")
    except SalesError as error:
        flash(str(error), "error")
    return redirect(url_for("admin.sales"), 303)


@blueprint.post("/sales/<handoff_id>/claim")
def claim_view(handoff_id: str) -> ResponseReturnValue:
    rep = request.form.get("rep", "").strip()
    done = f"claimed for {rep}"
    return _act(handoff_id, done, lambda s, sales_, h: claim(s, sales_, h, rep))


@blueprint.post("/sales/<handoff_id>/accept")
def accept_view(handoff_id: str) -> ResponseReturnValue:
    rep = request.form.get("rep", "").strip() or None
    return _act(handoff_id, "accepted", lambda s, sales_, h: accept(s, sales_, h, rep))


@blueprint.post("/sales/<handoff_id>/reject")
def reject_view(handoff_id: str) -> ResponseReturnValue:
    reason = request.form.get("reason", "")
    done = "rejected: the lead goes back to nurture"
    return _act(handoff_id, done, lambda s, sales_, h: reject(s, sales_, h, reason, None))
