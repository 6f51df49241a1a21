"""Campaigns: the list (with the lead file at a glance), one campaign's funnel chart,
a step's preview, and resuming a paused campaign."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from nurture.admin.campaigns import UnknownCampaign, campaign_detail, campaign_rows
from nurture.admin.chart import funnel_chart
from nurture.audit import audit
from nurture.db import unit_of_work
from nurture.engine.campaign_state import resume_campaign
from nurture.mail.render import TemplateError
from nurture.reports.leads import lead_breakdown
from nurture.sending.compose import MissingPostalAddress
from nurture.sending.preview import Preview, PreviewError, preview_step
from nurture.web.admin.common import PREVIEW_CSP, blueprint, render, runtime


@blueprint.get("/")
def campaigns() -> ResponseReturnValue:
    loaded = runtime().campaigns()
    with unit_of_work(runtime().sessions) as session:
        rows, leads = campaign_rows(session, loaded), lead_breakdown(session)
    return render("campaigns.html", campaigns=rows, problems=loaded.problems, leads=leads)


@blueprint.get("/campaigns/<campaign_id>")
def campaign(campaign_id: str) -> ResponseReturnValue:
    try:
        with unit_of_work(runtime().sessions) as session:
            detail = campaign_detail(session, runtime().campaigns(), campaign_id)
    except UnknownCampaign:
        abort(404)
    return render("campaign.html", detail=detail, chart=funnel_chart(detail.funnel))


def _preview(campaign_id: str, step_id: str, email: str | None) -> Preview:
    """The sender's own composition, rolled back: a preview changes nothing."""
    rt = runtime()
    with unit_of_work(rt.sessions) as session:
        shown = preview_step(
            session, rt.sender.composer, rt.campaigns(), campaign_id, step_id, rt.clock.now(), email
        )
        session.rollback()
    return shown


@blueprint.get("/campaigns/<campaign_id>/steps/<step_id>")
def step_preview(campaign_id: str, step_id: str) -> ResponseReturnValue:
    email = request.args.get("lead", "").strip() or None
    page: dict[str, object] = {"campaign_id": campaign_id, "step_id": step_id, "lead": email}
    try:
        shown = _preview(campaign_id, step_id, email)
    except (PreviewError, MissingPostalAddress, TemplateError) as error:
        status = 404 if isinstance(error, PreviewError) and email is None else 400
        return render("step.html", status, preview=None, error=str(error), **page)
    response = render("step.html", preview=shown, error=None, **page)
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    return response


@blueprint.post("/campaigns/<campaign_id>/resume")
def resume(campaign_id: str) -> ResponseReturnValue:
    with unit_of_work(runtime().sessions) as session:
        resumed = resume_campaign(session, campaign_id)
        if resumed:
            audit(session, "admin", "campaign_resumed", campaign=campaign_id)
    if resumed:
        flash(f"{campaign_id} resumed: its queued messages go out on the next pass", "notice")
    else:
        flash(f"{campaign_id} is not paused", "error")
    return redirect(url_for("admin.campaigns"), 303)
