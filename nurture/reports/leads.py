"""The prospect file at a glance: leads by temperature, stage and source, and which
acquisition channel produced customers.

A customer is a lead in the `customer` stage or with a `converted` event (the stage can
be set by hand, the event by another system). Leads without a source count under
"(unknown)"; the source is the first touch (imports and captures never overwrite it).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from nurture.reports.tables import Event, Lead, leads

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


def lead_breakdown(session: Session) -> LeadBreakdown:
    """One pass over `leads`, grouped by (source, temperature, stage): a few dozen rows,
    summed here into each breakdown. Equal counts are listed by name."""
    converted = (
        select(Event.lead_id)
        .where(Event.type == "converted", Event.lead_id.is_not(None))
        .distinct()
    ).subquery()
    customer = or_(Lead.lifecycle_stage == "customer", converted.c.lead_id.is_not(None))
    groups = (Lead.source, Lead.temperature, Lead.lifecycle_stage)
    rows = session.execute(
        select(*groups, func.count(), func.count().filter(customer))
        .select_from(leads)
        .outerjoin(converted, converted.c.lead_id == Lead.id)
        .group_by(*groups)
    )
    temperatures: Counter[str] = Counter()
    stages: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    customers: Counter[str] = Counter()
    for source, temperature, stage, count, converts in rows:
        name = _name(source)
        temperatures[_name(temperature)] += count
        stages[_name(stage)] += count
        sources[name] += count
        customers[name] += converts
    conversion = [
        SourceConversion(name, sources[name], customers[name])
        for name in sorted(sources, key=lambda name: (-customers[name], -sources[name], name))
    ]
    return LeadBreakdown(
        total=sum(sources.values()),
        by_temperature=_by_count(temperatures),
        by_stage=_by_count(stages),
        # As many leads: the source with more customers first.
        by_source={c.source: c.leads for c in sorted(conversion, key=lambda c: -c.leads)},
        conversion_by_source=conversion,
    )


def _name(value: Any) -> str:
    return str(value) if value is not None else UNKNOWN


def _by_count(counts: Counter[str]) -> dict[str, int]:
    return {name: counts[name] for name in sorted(counts, key=lambda name: (-counts[name], name))}
