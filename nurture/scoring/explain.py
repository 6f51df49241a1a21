"""A lead's stored score, explained line by line from its ledger (GDPR art. 15(1)(h)).

`explain(session, lead)` is what `nurture leads show`, the my-data page and exports read:
the rules and events that produced the score stored on the lead, as computed at
`computed_at` (decay keeps working afterwards; the next update rewrites the ledger). A
lead who objected to profiling has no ledger, and gets an empty list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from nurture.models import Lead, ScoreLedger


@dataclass(frozen=True)
class ExplainedLine:
    kind: str  # fit | behaviour | disqualifier | clamp
    rule: str
    points: float  # as the rule gives them
    weighted: float  # what they count for in the score (after decay)
    note: str = ""
    event_type: str | None = None
    at: datetime | None = None

    @property
    def text(self) -> str:
        """One sentence a person can read: "+5 → 3.5 call-20-minutes: call_completed on …"."""
        if self.kind == "fit":
            return f"{_signed(self.points)} {self.rule}: profile matches ({self.note})"
        if self.kind == "disqualifier":
            return f"disqualified by {self.rule}: {self.note}"
        if self.kind == "clamp":
            return f"total {_number(self.weighted)}: {self.note}"
        when = f" on {self.at:%Y-%m-%d %H:%M} UTC" if self.at else ""
        what = f"{self.rule}: {self.event_type}{when}"
        if self.note:
            return f"0 {what} ({self.note})"
        if self.weighted == self.points:
            return f"{_signed(self.points)} {what}"
        return f"{_signed(self.points)} → {_number(self.weighted)} {what} (older events weigh less)"


@dataclass(frozen=True)
class Explanation:
    computed_at: datetime
    rules_version: str
    lines: list[ExplainedLine]


def _number(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.2f}"


def _signed(value: float) -> str:
    return ("+" if value > 0 else "") + _number(value)


def from_json(stored: list[Any]) -> ExplainedLine:
    """A stored line (see `nurture.scoring.store.line_json`)."""
    kind, rule, points, weighted, note, _event_id, event_type, at = stored
    when = datetime.fromtimestamp(at, UTC) if at is not None else None
    return ExplainedLine(kind, rule, points, weighted, note, event_type, when)


def explanation(session: Session, lead: Lead) -> Explanation | None:
    ledger = session.get(ScoreLedger, lead.id)
    if ledger is None or lead.profiling_objected:
        return None
    lines = [from_json(line) for line in ledger.lines]
    return Explanation(ledger.computed_at, ledger.rules_version, lines)


def explain(session: Session, lead: Lead) -> list[ExplainedLine]:
    """The lines that produced the lead's stored score; [] when there is no ledger."""
    found = explanation(session, lead)
    return found.lines if found is not None else []
