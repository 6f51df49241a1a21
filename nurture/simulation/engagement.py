"""What leads are assumed to do with each mail: opens, clicks, replies, unsubscribes, sales.

Rates are per mail sent and drawn from a generator seeded with (seed, lead, step), so a
run is reproducible, a lead's reaction to a step does not depend on the order leads are
processed in, and `if: opened/clicked` branches go both ways. One draw decides opening
and clicking (a click implies an open: clicks are a share of all recipients, at most the
open rate). Delays: an open comes after an exponentially distributed wait (mean 3 hours,
at most 2 days), a click two minutes after its open, a reply an hour after, an
unsubscribe half an hour after, a conversion a day after the mail.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Protocol

from nurture.scheduling.views import EventView

MEAN_OPEN_DELAY = timedelta(hours=3)
MAX_OPEN_DELAY = timedelta(days=2)


@dataclass(frozen=True)
class Assumptions:
    open_rate: float = 0.25
    click_rate: float = 0.04
    reply_rate: float = 0.01
    unsubscribe_rate: float = 0.003
    convert_rate: float = 0.005
    seed: int = 1

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if name != "seed" and not 0 <= value <= 1:
                raise ValueError(f"{name.replace('_', ' ')} must be between 0 and 1, got {value}")
        if self.click_rate > self.open_rate:
            raise ValueError("the click rate cannot exceed the open rate (a click is an open)")


class Engagement(Protocol):
    def reactions(
        self, lead_key: str, campaign_id: str, step_id: str, sent_at: datetime
    ) -> list[EventView]:
        """The events one mail causes (they may lie in the future of `sent_at`)."""
        ...


@dataclass(frozen=True)
class SeededEngagement:
    assumptions: Assumptions

    def reactions(
        self, lead_key: str, campaign_id: str, step_id: str, sent_at: datetime
    ) -> list[EventView]:
        a = self.assumptions
        rng = random.Random(f"{a.seed}:{lead_key}:{campaign_id}:{step_id}")
        draw = rng.random()
        opened_at = sent_at + min(
            timedelta(seconds=rng.expovariate(1 / MEAN_OPEN_DELAY.total_seconds())),
            MAX_OPEN_DELAY,
        )
        events: list[EventView] = []
        if draw < a.open_rate:
            events.append(EventView("email_opened", opened_at, campaign_id, step_id, "human"))
        if draw < a.click_rate:
            clicked_at = opened_at + timedelta(minutes=2)
            events.append(EventView("email_clicked", clicked_at, campaign_id, step_id, "human"))
        if rng.random() < a.reply_rate:
            replied_at = opened_at + timedelta(hours=1)
            events.append(EventView("email_replied", replied_at, campaign_id, step_id))
        if rng.random() < a.unsubscribe_rate:
            events.append(
                EventView("unsubscribed", sent_at + timedelta(minutes=30), campaign_id, step_id)
            )
        if rng.random() < a.convert_rate:
            events.append(EventView("converted", sent_at + timedelta(days=1)))
        return events
