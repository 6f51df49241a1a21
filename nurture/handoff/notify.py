"""The email that tells a rep a lead is theirs: internal, plain, never marketing.

Not a `Message` row: those are mail *to the lead*, and the sender delivers them to the
lead's address. This one goes to an employee, is composed here from the hand-off, and is
logged in `handoff_deliveries` like the webhook.
"""

from __future__ import annotations

import html
from datetime import datetime
from email.utils import parseaddr

from nurture.mail.message import OutgoingMail, domain_of
from nurture.models import Handoff, Lead
from nurture.scoring.rules import Rep

_FIELDS = ("company", "job_title", "industry", "company_size", "country", "phone", "source")


def _one_line(text: str) -> str:
    return " ".join(text.split())  # a name with a line break must not end up in a header


def display_name(lead: Lead) -> str:
    name = " ".join(part for part in (lead.first_name, lead.last_name) if part)
    return _one_line(name or lead.email)


def owner_mail(
    delivery_id: str,
    sender: str,
    rep: Rep | None,
    to: str,
    handoff: Handoff,
    lead: Lead,
    now: datetime,
) -> OutgoingMail:
    name = display_name(lead)
    company = f" ({_one_line(lead.company)})" if lead.company else ""
    lines = _body_lines(handoff, lead, name)
    greeting = f"Hello {rep.name}," if rep is not None and rep.name else "Hello,"
    text = "\n".join([greeting, "", *lines]) + "\n"
    body = "".join(f"<p>{html.escape(line)}</p>\n" if line else "" for line in [greeting, *lines])
    return OutgoingMail(
        sender=sender,
        to=to,
        subject=f"New lead for you: {name}{company}, score {lead.score}",
        html=f"<!doctype html>\n<html><body>\n{body}</body></html>\n",
        text=text,
        message_id=f"<{delivery_id}@{domain_of(parseaddr(sender)[1])}>",
        date=now,
        extra_headers={"Auto-Submitted": "auto-generated"},
    )


def _body_lines(handoff: Handoff, lead: Lead, name: str) -> list[str]:
    details = [f"{field.replace('_', ' ')}: {getattr(lead, field)}" for field in _FIELDS]
    due = f"{handoff.due_at:%Y-%m-%d %H:%M} UTC" if handoff.due_at else "no deadline"
    return [
        f"{name} <{lead.email}> is ready for sales ({handoff.reason}).",
        f"Score {lead.score} (fit {lead.fit_score}, engagement {lead.engagement_score}), "
        f"{lead.temperature}, stage {lead.lifecycle_stage}.",
        *[line for line in details if not line.endswith(": None")],
        "",
        f"Accept or reject it before {due}, or it goes back to the pool:",
        f"  nurture sales accept {lead.email}",
        f'  nurture sales reject {lead.email} --reason "…"',
        f"  (API: POST /api/sales/handoffs/{handoff.public_id}/accept or /reject)",
        f"Why this score: nurture leads show {lead.email}",
    ]
