"""The GDPR art. 14 information notice for leads whose data did not come from them.

A business contact imported under legitimate interest never gave us their address: art.
14 obliges us to tell them where it came from, why we use it and how to object, at the
latest with the first communication. nurture sends the notice as a transactional mail
queued in the same transaction as the ledger record, and the scheduler holds every
campaign step for a lead until that mail is `sent` (the gate reads the message rows, so
the notice's own state machine is the only flag: no second column to keep in step).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from nurture.campaigns.purposes import Purposes
from nurture.db import member_of
from nurture.links import Links
from nurture.models import Lead, Message, new_public_id

ART14_NOTICE = "transactional/art14_notice"
_IN_BATCH = 500


@dataclass(frozen=True)
class NoticeDetails:
    """What the notice tells the person: the purpose, and where their data came from."""

    purpose: str
    source: str | None  # acquisition channel (`--source`), e.g. "trade fair 2026"
    origin: str  # the import's proof text: the list, vendor or event named by the marketer

    def context(self) -> dict[str, Any]:
        return {"purpose": self.purpose, "source": self.source, "origin": self.origin}


def queue_art14_notices(
    session: Session, lead_ids: Sequence[int], details: NoticeDetails, now: datetime
) -> list[int]:
    """One queued notice per lead; returns the message ids to enqueue after commit."""
    if not lead_ids:
        return []
    rows = [
        {
            "public_id": new_public_id(),
            "lead_id": lead_id,
            "kind": "transactional",
            "purpose": details.purpose,
            "template": ART14_NOTICE,
            "context": details.context(),
            "status": "queued",
            "attempts": 0,
            "tracked": False,
            "scheduled_for": now,
            "enqueued_at": now,  # handed to the broker after commit; else recovered
            "created_at": now,
            "updated_at": now,
        }
        for lead_id in lead_ids
    ]
    # executemany with RETURNING: SQLAlchemy sends it in multi-row batches.
    return list(session.scalars(insert(Message).returning(Message.id), rows))


def awaiting_notice(session: Session, lead_ids: Iterable[int]) -> set[int]:
    """The leads among `lead_ids` whose art. 14 notice exists and is not sent yet."""
    ids = list(lead_ids)
    waiting: set[int] = set()
    for start in range(0, len(ids), _IN_BATCH):
        waiting.update(
            lead_id
            for lead_id in session.scalars(
                select(Message.lead_id).where(
                    member_of(session, Message.lead_id, ids[start : start + _IN_BATCH]),
                    Message.kind == "transactional",
                    Message.template == ART14_NOTICE,
                    Message.status != "sent",
                )
            )
            if lead_id is not None
        )
    return waiting


def notice_context(
    links: Links, lead: Lead, data: dict[str, Any], purposes: Purposes | None, locale: str
) -> dict[str, Any]:
    """What the notice template shows: the purpose, the origin, and the ways out.

    The objection link is the purpose's unsubscribe link: under legitimate interest,
    withdrawing is objecting (art. 21(2)), and it works in one click like any other.
    """
    purpose = str(data.get("purpose") or "")
    known = purposes is not None and purpose in purposes
    return {
        "purpose_title": purposes.title(purpose, locale) if purposes and known else purpose,
        "origin": str(data.get("origin") or data.get("source") or "-"),
        "object_url": links.unsubscribe(lead.public_id, purpose, None),
        "preferences_url": links.preferences(lead.public_id),
        "my_data_url": links.my_data(lead.public_id),
    }
