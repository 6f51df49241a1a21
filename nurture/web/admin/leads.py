"""The lead list (search, filters, pages) and one lead's page."""

from __future__ import annotations

from flask import abort, request
from flask.typing import ResponseReturnValue

from nurture.admin.lead import find_lead, lead_record
from nurture.admin.leads import PER_PAGE, BadFilter, read_query, search
from nurture.db import unit_of_work
from nurture.models.lead import STAGES, TEMPERATURES
from nurture.web.admin.common import blueprint, render, runtime


def _list(status: int = 200, **context: object) -> ResponseReturnValue:
    campaigns = sorted(runtime().campaigns().campaigns)
    choices = {"campaigns": campaigns, "temperatures": TEMPERATURES, "stages": STAGES}
    shown = {"values": request.args, "per_page": PER_PAGE}
    return render("leads.html", status, **shown, **choices, **context)


@blueprint.get("/leads")
def leads() -> ResponseReturnValue:
    try:
        query = read_query(request.args)
    except BadFilter as error:
        return _list(400, error=error, query=None, result=None)
    with unit_of_work(runtime().sessions) as session:
        result = search(session, query)
    return _list(error=None, query=query, result=result)


@blueprint.get("/leads/<public_id>")
def lead(public_id: str) -> ResponseReturnValue:
    rt = runtime()
    with unit_of_work(rt.sessions) as session:
        found = find_lead(session, public_id)
        if found is None:
            abort(404)
        record = lead_record(session, found, rt.settings.suppression_key)
    return render("lead.html", record=record, now=rt.clock.now())
