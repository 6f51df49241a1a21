"""`nurture leads show EMAIL`: a lead, its score, and why (the score ledger)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nurture.models import Handoff, Lead
from nurture.models.handoff import OPEN_STATUSES
from nurture.scoring.explain import explanation


def describe(session: Session, lead: Lead) -> list[str]:
    name = " ".join(part for part in (lead.first_name, lead.last_name) if part) or "-"
    work = ", ".join(part for part in (lead.job_title, lead.company) if part) or "-"
    lines = [
        f"{lead.email}  {name}  ({work})",
        f"country {lead.country or '-'} · source {lead.source or '-'} · "
        f"tags {', '.join(lead.tags or []) or '-'} · owner {lead.owner or '-'}",
        f"score {lead.score} = fit {lead.fit_score} + engagement {lead.engagement_score} "
        f"(kept within 0-100) · {lead.temperature} · {lead.lifecycle_stage}",
    ]
    return lines + _handoff(session, lead) + _ledger(session, lead)


def _handoff(session: Session, lead: Lead) -> list[str]:
    handoff = session.scalar(
        select(Handoff).where(Handoff.lead_id == lead.id, Handoff.status.in_(OPEN_STATUSES))
    )
    if handoff is None:
        return []
    due = f", due {handoff.due_at:%Y-%m-%d %H:%M} UTC" if handoff.due_at else ""
    owner = f" to {handoff.rep_id}" if handoff.rep_id else ""
    return [f"hand-off {handoff.public_id}: {handoff.status}{owner}{due} ({handoff.reason})"]


def _ledger(session: Session, lead: Lead) -> list[str]:
    if lead.profiling_objected:
        return ["objected to profiling: no score and no score ledger are kept"]
    found = explanation(session, lead)
    if found is None:
        return ["not scored yet (the next score update or scheduler pass scores it)"]
    lines = [
        f"why (computed {found.computed_at:%Y-%m-%d %H:%M} UTC, rules {found.rules_version[:12]}):"
    ]
    if not found.lines:
        lines.append("  no rule applies yet")
    return lines + [f"  {line.kind:<12} {line.text}" for line in found.lines]
