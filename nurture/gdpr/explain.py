"""How a lead's score was computed, in lines a person can read (GDPR art. 15(1)(h)).

Extension point for the scoring engine: `explain_score` is what the my-data page and the
exports call. Today it explains the stored parts (profile fit and engagement); when
`nurture.scoring` can replay its rules per event, this function should return those
lines instead, with the same signature.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from nurture.models import Lead


@dataclass(frozen=True)
class ScoreLine:
    part: str  # "fit" | "engagement" today; rule names once scoring explains itself
    points: int


def explain_score(session: Session, lead: Lead) -> list[ScoreLine]:
    """The lines that add up to the lead's score (``session`` is for the scoring engine)."""
    return [ScoreLine("fit", lead.fit_score), ScoreLine("engagement", lead.engagement_score)]


def score_summary(session: Session, lead: Lead) -> dict[str, object]:
    return {
        "score": lead.score,
        "fit": lead.fit_score,
        "engagement": lead.engagement_score,
        "temperature": lead.temperature,
        "lifecycle_stage": lead.lifecycle_stage,
        "profiling_objected": lead.profiling_objected,
        "explanation": [
            {"part": line.part, "points": line.points} for line in explain_score(session, lead)
        ],
    }
