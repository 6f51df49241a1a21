"""The consent ledger (append-only proof), its derived current state, and suppression."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nurture.models.base import Base, BigId, utcnow

ACTIONS = ("granted", "confirmed", "withdrawn")
BASES = ("consent", "legitimate_interest")
SOURCES = ("form", "import", "api", "link", "cli", "admin", "system")
STATUSES = ("pending", "given", "withdrawn")
SUPPRESSION_REASONS = ("unsubscribed", "objected", "bounced", "complained", "erased")


class ConsentRecord(Base):
    """One line of the ledger. Never updated; deleted only by erasure (art. 17)."""

    __tablename__ = "consent_records"
    __table_args__ = (Index(None, "lead_id", "purpose", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    basis: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))
    wording: Mapped[str | None] = mapped_column(Text)
    wording_hash: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str | None] = mapped_column(String(35))
    proof: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConsentState(Base):
    """Current consent per lead and purpose, folded from the ledger by the ledger service.

    A cache for fast send-time checks: `nurture.consent.ledger.fold` rebuilds it from
    the ledger, and a test checks the two never disagree.
    """

    __tablename__ = "consent_states"

    lead_id: Mapped[int] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True
    )
    purpose: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    basis: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[int] = mapped_column(BigId)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Suppression(Base):
    """Addresses never to mail, by keyed hash: no address is kept here in clear."""

    __tablename__ = "suppressions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email_hash: Mapped[str] = mapped_column(String(64), unique=True)
    reason: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
