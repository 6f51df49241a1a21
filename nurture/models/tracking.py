"""What the tracker keeps beside the behaviour events: drained hit ids and aggregate counts.

Neither table holds personal data: a hit id is random, and aggregate counts know only a
campaign, a step and a day.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from nurture.models.base import Base, utcnow


class TrackingHit(Base):
    """One open or click already written to the database, by the id the web process gave it.

    The hit buffer delivers at least once (a drainer may die between its commit and
    removing the hits from the buffer); inserting the id first, in the same transaction
    as the event, makes the second delivery a no-op.
    """

    __tablename__ = "tracking_hits"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    drained_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class TrackingCount(Base):
    """Opens and clicks of leads who did not allow tracking, when aggregate counting is on
    (NURTURE_AGGREGATE_TRACKING): per campaign, step, day and classification, no person."""

    __tablename__ = "tracking_counts"

    campaign_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    step_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    type: Mapped[str] = mapped_column(String(64), primary_key=True)
    classification: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
