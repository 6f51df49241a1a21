"""A campaign's per-step funnel as the geometry of a horizontal bar chart (pure).

The template draws it as inline SVG: no JavaScript, nothing fetched, every label escaped
by Jinja like any other text. One block per step, one bar per measure, all on one scale
(the largest figure of the campaign), so steps compare at a glance. Opens and clicks by
people and those made *only* by machines (mail-privacy proxies, link scanners) are
separate bars: the machines' share is what inflates naive open rates.
"""

from __future__ import annotations

from dataclasses import dataclass

from nurture.reports.funnel import CampaignFunnel

# (count in `StepFunnel.counts`, label, kind: the bar's CSS class)
MEASURES = (
    ("sent", "sent", "sent"),
    ("opened", "opened by people", "human"),
    ("opened_machines", "opened only by machines", "machine"),
    ("clicked", "clicked by people", "human"),
    ("clicked_machines", "clicked only by machines", "machine"),
    ("converted", "converted", "converted"),
)

WIDTH = 720
LABEL_WIDTH = 190  # measure labels, right-aligned against the bars
VALUE_SPACE = 70  # room for the figure after the longest bar
BAR = 16
GAP = 4
HEADING = 28  # a step's title line
STEP_GAP = 14


@dataclass(frozen=True)
class Bar:
    step: str
    measure: str
    label: str
    kind: str
    value: int
    x: float
    y: float
    width: float
    height: float = BAR

    @property
    def text_y(self) -> float:
        return self.y + self.height - 3

    @property
    def value_x(self) -> float:
        return self.x + self.width + 6


@dataclass(frozen=True)
class Heading:
    text: str
    y: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    label_width: int
    scale: int  # the figure drawn at full width
    headings: list[Heading]
    bars: list[Bar]


def _length(value: int, scale: int) -> float:
    if value <= 0 or scale <= 0:
        return 0.0
    full = WIDTH - LABEL_WIDTH - VALUE_SPACE
    return round(max(1.0, full * value / scale), 1)  # a non-zero figure stays visible


def funnel_chart(funnel: CampaignFunnel) -> Chart:
    scale = max((step.counts[m] for step in funnel.steps for m, _, _ in MEASURES), default=0)
    headings: list[Heading] = []
    bars: list[Bar] = []
    y = 0.0
    for step in funnel.steps:
        headings.append(Heading(f"Step {step.id}", y + HEADING - 10))
        y += HEADING
        for measure, label, kind in MEASURES:
            value = step.counts[measure]
            bars.append(
                Bar(step.id, measure, label, kind, value, LABEL_WIDTH, y, _length(value, scale))
            )
            y += BAR + GAP
        y += STEP_GAP
    return Chart(WIDTH, int(y), LABEL_WIDTH, scale, headings, bars)
