"""Per campaign and step: sent, delivered, opened, clicked, unsubscribed, bounced, converted.

Every figure counts distinct leads — a lead gets one message per step (the schema's
unique keys), so a step's figures count messages — and each is one or two grouped
queries, whatever the number of campaigns; a campaign's totals count each lead once
over all its steps:

- sent: messages handed to the mail server (`sent`), plus those refused with a hard
  bounce (`email_bounced`); delivered = sent − bounced;
- opened / clicked: messages with an open or click by a person (`classification` human,
  or none recorded); `*_machines`: messages opened or clicked *only* by mail-privacy
  proxies and link scanners, which inflate the naive figures (for a campaign: leads
  with a step engaged only by machines);
- unsubscribed: unsubscribe events of the campaign, attributed to the last step the lead
  had received before unsubscribing;
- converted: leads with a `converted` event after receiving the step (after any step, for
  the campaign: influenced, not "last touch"); a conversion reported with its campaign
  (and step) — `POST /api/events`, `nurture events add --campaign --step` — counts only
  for that campaign (and step).

Rates are shares of delivered mail (bounced: of sent). Opens and clicks of leads who did
not allow tracking exist only as anonymous daily counts (`tracking_counts`) and are not
in these per-lead figures. `bench/report.py` times it over a million events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from nurture.reports.queries import all_counts

COUNTS = (
    "sent",
    "delivered",
    "opened",
    "opened_machines",
    "clicked",
    "clicked_machines",
    "unsubscribed",
    "bounced",
    "converted",
)
Key = tuple[str, str]  # (campaign id, step id)


@dataclass
class StepFunnel:
    id: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))

    def rates(self) -> dict[str, float | None]:
        c = self.counts
        return {
            "delivered": _rate(c["delivered"], c["sent"]),
            "opened": _rate(c["opened"], c["delivered"]),
            "clicked": _rate(c["clicked"], c["delivered"]),
            "click_to_open": _rate(c["clicked"], c["opened"]),
            "unsubscribed": _rate(c["unsubscribed"], c["delivered"]),
            "bounced": _rate(c["bounced"], c["sent"]),
            "converted": _rate(c["converted"], c["delivered"]),
        }

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, **self.counts, "rates": self.rates()}


@dataclass
class CampaignFunnel:
    id: str
    name: str | None  # None: the campaign file is gone, its mail remains
    steps: list[StepFunnel]
    total: StepFunnel  # distinct leads over all steps

    def to_json(self) -> dict[str, Any]:
        return {
            "campaign": self.id,
            "name": self.name,
            "steps": [step.to_json() for step in self.steps],
            "totals": {key: value for key, value in self.total.to_json().items() if key != "id"},
        }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def funnels(
    session: Session, step_order: dict[str, list[str]], only: str | None = None
) -> list[CampaignFunnel]:
    """Funnels of `only` or of every campaign with mail; `step_order`: id → step ids."""
    per_step: dict[Key, dict[str, int]] = {}
    per_campaign: dict[str, dict[str, int]] = {}
    for name, rows in all_counts(session, only):
        for campaign_id, step_id, value in rows:
            if step_id is None:
                per_campaign.setdefault(campaign_id, {})[name] = value
            else:
                per_step.setdefault((campaign_id, step_id), {})[name] = value
    campaign_ids = sorted({cid for cid, _ in per_step} | ({only} if only else set()))
    return [_assemble(cid, step_order, per_step, per_campaign) for cid in campaign_ids]


def _assemble(
    campaign_id: str,
    step_order: dict[str, list[str]],
    per_step: dict[Key, dict[str, int]],
    per_campaign: dict[str, dict[str, int]],
) -> CampaignFunnel:
    known = step_order.get(campaign_id)
    seen = [step for cid, step in per_step if cid == campaign_id]
    ordered = list(known or []) + sorted(step for step in seen if step not in (known or []))
    steps = []
    for step_id in ordered:
        funnel = StepFunnel(step_id)
        funnel.counts.update(per_step.get((campaign_id, step_id), {}))
        funnel.counts["delivered"] = funnel.counts["sent"] - funnel.counts["bounced"]
        steps.append(funnel)
    total = StepFunnel("total")
    total.counts.update(per_campaign.get(campaign_id, {}))
    total.counts["delivered"] = total.counts["sent"] - total.counts["bounced"]
    name = campaign_id if known is not None else None
    return CampaignFunnel(campaign_id, name, steps, total)
