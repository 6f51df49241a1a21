"""The score ledger: why each lead's stored score is what it is."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from nurture.models.base import Base


class ScoreLedger(Base):
    """The lines that produced a lead's current score, replaced whole at each update.

    One row per lead rather than one per line: decay changes every line's weight at every
    update, so the ledger is always rewritten as a whole, and one row is one write (a
    100,000-lead recompute writes 100,000 rows, not millions). A lead who objected to
    profiling has no row.
    """

    __tablename__ = "score_ledgers"

    lead_id: Mapped[int] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True
    )
    computed_at: Mapped[datetime] = mapped_column(index=True)
    # sha256 of the rules that produced it: a changed scoring.yaml makes the row stale.
    rules_version: Mapped[str] = mapped_column(String(64))
    # One list per line: [kind, rule, points, weighted, note, event id, event type,
    # event time as Unix seconds]; read them with `nurture.scoring.explain`.
    lines: Mapped[list[list[Any]]] = mapped_column(JSON, default=list)
