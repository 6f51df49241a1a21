"""The two richest pages, assembled from services: preferences and "my data"."""

from __future__ import annotations

from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from nurture.consent.ledger import current
from nurture.consent.suppression import suppression_reason
from nurture.gdpr import export
from nurture.gdpr.explain import explain_score
from nurture.gdpr.rectify import EDITABLE
from nurture.i18n import SUPPORTED
from nurture.models import Lead
from nurture.prospects.preferences import PAUSE_WEEKS
from nurture.scoring.explain import explanation
from nurture.web.pages import locale, page, runtime, setup

SHOWN = 200  # rows per table on the page; the downloads carry everything


def preferences_view(
    session: Session, lead: Lead, *, saved: bool, status: int = 200
) -> ResponseReturnValue:
    lang = locale(lead.locale)
    states = current(session, lead.id)
    purposes = setup().purposes
    links = runtime().links
    return page(
        "preferences.html",
        status,
        lang=lang,
        purposes=[
            (
                p.id,
                purposes.title(p.id, lang),
                purposes.wording(p.id, lang),
                p.id in states and states[p.id].status == "given",
            )
            for p in purposes
        ],
        languages=SUPPORTED,
        lead_locale=lang,
        pause_weeks=PAUSE_WEEKS,
        paused_until=lead.paused_until,
        restricted=lead.restricted_at is not None,
        profiling_objected=lead.profiling_objected,
        suppression=suppression_reason(session, runtime().settings.suppression_key, lead.email),
        saved=saved,
        my_data_url=links.my_data(lead.public_id),
    )


def my_data_view(
    session: Session,
    lead: Lead,
    *,
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    lang = locale(lead.locale)
    links = runtime().links
    events, messages = export.events(session, lead), export.messages(session, lead)
    return page(
        "my_data.html",
        status,
        lang=lang,
        profile=export.profile(lead),
        editable=EDITABLE,
        consents=export.consents(session, lead),
        events=events[-SHOWN:][::-1],
        events_total=len(events),
        messages=messages[-SHOWN:][::-1],
        messages_total=len(messages),
        shown=SHOWN,
        score=lead,
        score_lines=explain_score(session, lead, lang=lang),
        score_computed=_computed_at(session, lead),
        notice=notice,
        error=error,
        preferences_url=links.preferences(lead.public_id),
        erase_url=links.erase(lead.public_id),
    )


def _computed_at(session: Session, lead: Lead) -> str | None:
    found = explanation(session, lead)
    return f"{found.computed_at:%Y-%m-%d %H:%M}" if found is not None else None
