"""How a lead's score was computed, in lines a person can read (GDPR art. 15(1)(h)).

The lines are the scoring engine's ledger (`nurture.scoring.explain.explain`): every rule
that fired as the stored score was computed — profile fit, each behaviour event with its
points and what decay left of them, the events a cap, once-only or the machine filter
stopped, a disqualifier, the clamp to 0-100. Here they get the words of the my-data page
and of the exports, in English or Spanish. A lead who objected to profiling has no
ledger, and no lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from nurture.i18n import DEFAULT, Translate, translator
from nurture.models import Lead
from nurture.scoring.explain import ExplainedLine, explain, explanation

# The reasons `nurture.scoring.compute` gives for an event that counted nothing, and the
# text each becomes (a unit test runs the scorer so a reworded reason fails loudly).
_STOPPED = (
    (re.compile(r"^(?P<kind>\w+): not a person, not counted$"), "score.why.machine"),
    (re.compile(r"^once only: already counted on (?P<date>[\d-]+)$"), "score.why.once"),
    (re.compile(r"^cap of (?P<n>\d+) a day \(UTC\) reached$"), "score.why.cap"),
)


@dataclass(frozen=True)
class ScoreLine:
    kind: str  # fit | behaviour | disqualifier | clamp
    rule: str  # the rule's id in scoring.yaml
    what: str  # what it read: the event type, the profile field, the reason
    at: datetime | None  # when the event happened
    points: float  # as the rule gives them
    counts: float  # what they count for in the score (after decay)
    note: str  # why an event counted less or nothing, in the reader's language

    @property
    def decayed(self) -> bool:
        return self.kind == "behaviour" and self.counts != self.points and self.points != 0

    @property
    def text(self) -> str:
        """The whole line in one sentence: "+5 → 3.5 · call-20 · call_completed · …"."""
        value = _signed(self.points)
        if self.decayed or self.kind == "clamp":
            value += f" → {_number(self.counts)}"
        when = f"{self.at:%Y-%m-%d %H:%M} UTC" if self.at else ""
        return " · ".join(part for part in (value, self.rule, self.what, when, self.note) if part)

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "rule": self.rule,
            "what": self.what,
            "at": self.at.isoformat() if self.at else None,
            "points": self.points,
            "counts": self.counts,
            "note": self.note,
            "text": self.text,
        }


def explain_score(session: Session, lead: Lead, *, lang: str = DEFAULT) -> list[ScoreLine]:
    """The lines that add up to the lead's stored score, in ``lang``; [] without a ledger."""
    return [describe(line, lang) for line in explain(session, lead)]


def score_summary(session: Session, lead: Lead, *, lang: str = DEFAULT) -> dict[str, object]:
    found = explanation(session, lead)
    return {
        "score": lead.score,
        "fit": lead.fit_score,
        "engagement": lead.engagement_score,
        "temperature": lead.temperature,
        "lifecycle_stage": lead.lifecycle_stage,
        "profiling_objected": lead.profiling_objected,
        "computed_at": found.computed_at.isoformat() if found else None,
        "explanation": [line.as_json() for line in explain_score(session, lead, lang=lang)],
    }


def describe(line: ExplainedLine, lang: str = DEFAULT) -> ScoreLine:
    """One ledger line of `nurture.scoring.explain`, in the words of ``lang``."""
    words = translator(lang)
    what, note = line.event_type or "", ""
    if line.kind == "fit":
        what = words("score.kind.fit", detail=line.note)
    elif line.kind == "disqualifier":
        what = words("score.kind.disqualifier", detail=line.note)
        if line.event_type:
            what += f" ({line.event_type})"
    elif line.kind == "clamp":
        what = words("score.kind.clamp", total=_number(line.points))
    elif line.note:
        note = _stopped(line.note, words)
    elif line.weighted != line.points:
        note = words("score.decayed")
    return ScoreLine(line.kind, line.rule, what, line.at, line.points, line.weighted, note)


def _stopped(reason: str, words: Translate) -> str:
    for pattern, key in _STOPPED:
        found = pattern.match(reason)
        if found:
            return words(key, **found.groupdict())
    return reason


def _number(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.2f}"


def _signed(value: float) -> str:
    return ("+" if value > 0 else "") + _number(value)
