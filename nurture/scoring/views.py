"""Plain, immutable inputs and outputs of the scoring function (no ORM, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

LineKind = Literal["fit", "behaviour", "disqualifier", "clamp"]
# Event classifications that are a person (None: not an open or click, or not classified).
HUMAN = (None, "human")


@dataclass(frozen=True)
class LeadFacts:
    """The lead as scoring sees it, and what it was before (for hysteresis and stages)."""

    # Contract fields, `attributes` (a mapping) and `tags`; see `nurture.scoring.facts`.
    fields: Mapping[str, Any] = field(default_factory=dict)
    temperature: str = "cold"
    stage: str = "lead"
    profiling_objected: bool = False


NO_DATA: Mapping[str, Any] = MappingProxyType({})


# Named tuples, not dataclasses: a recompute builds millions of them, and a tuple is
# several times cheaper to create.
class EventFact(NamedTuple):
    id: int
    type: str
    occurred_at: datetime
    classification: str | None = None
    data: Mapping[str, Any] = NO_DATA


class LedgerLine(NamedTuple):
    """One reason the score is what it is: a rule, what triggered it, what it gave."""

    kind: LineKind
    rule: str
    points: float  # as the rule gives them (0 when a cap, once or a filter stopped them)
    weighted: float  # what they count for now, after decay
    note: str = ""
    event_id: int | None = None
    event_type: str | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class ScoreResult:
    fit: int
    engagement: int
    total: int  # fit + engagement, clamped to 0-100; 0 when disqualified
    temperature: str
    stage: str
    # Why the lead should be handed to sales now ("stage sql"), or None.
    handoff: str | None = None
    disqualified_by: str | None = None
    ledger: tuple[LedgerLine, ...] = ()
