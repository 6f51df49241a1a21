"""What the prospect's side keeps beyond the prospect file: rate-limit counters and
pending address changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from nurture.models.base import Base, BigId, new_public_id, utcnow


class RateLimit(Base):
    """A counter per keyed hash of (scope, IP or address): never the value in clear.

    `key` is an HMAC under the suppression key, so a copy of the table cannot be checked
    against a list of addresses; erasure deletes the rows of the person's address.
    """

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(index=True)
    count: Mapped[int] = mapped_column(default=0)


class AddressChange(Base):
    """A new email address waiting for its double opt-in (GDPR art. 16).

    Nothing changes and nothing is sent to the old address until the new one confirms.
    """

    __tablename__ = "address_changes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    new_email: Mapped[str] = mapped_column(String(320))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
