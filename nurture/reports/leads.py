"""The prospect file at a glance: leads by temperature, stage and source, and which
acquisition channel produced customers.

A customer is a lead in the `customer` stage or with a `converted` event (the stage can
be set by hand, the event by another system). Leads without a source count under
"(unknown)"; the source is the first touch (imports and captures never overwrite it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from nurture.models import Event, Lead

UNKNOWN = "(unknown)"


@dataclass
class SourceConversion:
    source: str
    leads: int
    customers: int

    @property
    def rate(self) -> float | None:
        return round(self.customers / self.leads, 4) if self.leads else None


@dataclass
class LeadBreakdown:
    total: int
    by_temperature: dict[str, int]
    by_stage: dict[str, int]
    by_source: dict[str, int]
    conversion_by_source: list[SourceConversion]

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_temperature": self.by_temperature,
            "by_stage": self.by_stage,
            "by_source": self.by_source,
            "conversion_by_source": [
                {"source": c.source, "leads": c.leads, "customers": c.customers, "rate": c.rate}
                for c in self.conversion_by_source
            ],
        }


def _grouped(session: Session, column: Any) -> dict[str, int]:
    rows = session.execute(
        select(column, func.count()).group_by(column).order_by(func.count().desc())
    )
    return {str(value) if value is not None else UNKNOWN: count for value, count in rows}


def lead_breakdown(session: Session) -> LeadBreakdown:
    converted = (
        select(Event.lead_id)
        .where(Event.type == "converted", Event.lead_id.is_not(None))
        .distinct()
    ).subquery()
    customer = or_(Lead.lifecycle_stage == "customer", converted.c.lead_id.is_not(None))
    source = func.coalesce(Lead.source, UNKNOWN)
    customers = func.count().filter(customer)
    rows = session.execute(
        select(source, func.count(), customers)
        .select_from(Lead)
        .outerjoin(converted, converted.c.lead_id == Lead.id)
        .group_by(source)
        .order_by(customers.desc(), func.count().desc())
    )
    conversion = [SourceConversion(str(name), leads, count) for name, leads, count in rows]
    return LeadBreakdown(
        total=sum(c.leads for c in conversion),
        by_temperature=_grouped(session, Lead.temperature),
        by_stage=_grouped(session, Lead.lifecycle_stage),
        by_source={c.source: c.leads for c in sorted(conversion, key=lambda c: -c.leads)},
        conversion_by_source=conversion,
    )
