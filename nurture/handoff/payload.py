"""What a hand-off tells sales about a lead: the webhook's JSON and the owner's email.

Built at delivery time from the current rows, never stored: a lead erased between the
hand-off and a retry is not sent anywhere (its hand-off and deliveries are gone with it),
and `lead.updated` carries the profile as corrected.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from nurture.models import Handoff, Lead
from nurture.models.lead import CONTRACT_FIELDS
from nurture.scoring.rules import Rep


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def lead_json(lead: Lead) -> dict[str, Any]:
    data: dict[str, Any] = {"id": lead.public_id}
    data.update({name: getattr(lead, name) for name in CONTRACT_FIELDS})
    data["tags"] = list(lead.tags or [])
    return data


def score_json(lead: Lead) -> dict[str, Any]:
    return {
        "total": lead.score,
        "fit": lead.fit_score,
        "engagement": lead.engagement_score,
        "temperature": lead.temperature,
        "stage": lead.lifecycle_stage,
    }


def rep_json(rep: Rep | None, rep_id: str | None) -> dict[str, Any] | None:
    if rep_id is None:
        return None
    if rep is None:  # removed from scoring.yaml since: the id is all we know
        return {"id": rep_id, "name": None, "email": None}
    return {"id": rep.id, "name": rep.name, "email": rep.email}


def webhook_body(
    event: str,
    delivery_id: str,
    handoff: Handoff,
    lead: Lead,
    rep: Rep | None,
    now: datetime,
) -> dict[str, Any]:
    # A withdrawal (objection, restriction) names the lead by the id the CRM filed it
    # under and sends nothing more: the CRM has the profile, and processing it again to
    # say "stop" is exactly what the person asked us not to do.
    withdrawn = event == "lead.withdrawn"
    # A correction (`lead.updated`) reaches the CRM even while processing is restricted
    # (art. 19 owes it), but the score is the product of processing: not while restricted.
    unscored = withdrawn or lead.restricted_at is not None
    return {
        "event": event,
        "delivery": delivery_id,
        "sent_at": now.isoformat(),
        "handoff": {
            "id": handoff.public_id,
            "status": handoff.status,
            "mode": handoff.mode,
            "reason": handoff.reason,
            "created_at": _when(handoff.created_at),
            "due_at": _when(handoff.due_at),
            "closed_at": _when(handoff.closed_at),
            "close_reason": handoff.close_reason,
        },
        "owner": rep_json(rep, handoff.rep_id),
        "lead": {"id": lead.public_id} if withdrawn else lead_json(lead),
        "score": None if unscored else score_json(lead),
    }
