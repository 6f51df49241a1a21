"""The funnel chart's geometry: one scale for every bar, zero is no bar, steps stack."""

from __future__ import annotations

import pytest

from nurture.admin.chart import BAR, GAP, HEADING, LABEL_WIDTH, MEASURES, STEP_GAP, funnel_chart
from nurture.reports.funnel import CampaignFunnel, StepFunnel


def funnel(*steps: dict[str, int]) -> CampaignFunnel:
    made = []
    for number, counts in enumerate(steps, 1):
        step = StepFunnel(f"s{number}")
        step.counts.update(counts)
        made.append(step)
    return CampaignFunnel("c", "C", made, StepFunnel("total"))


def test_bars_share_the_largest_figure_as_full_width() -> None:
    """Widths are proportional across steps; the largest figure spans the plot."""
    chart = funnel_chart(funnel({"sent": 200, "opened": 50}, {"sent": 100, "converted": 1}))
    widths = {(bar.step, bar.measure): bar.width for bar in chart.bars}
    assert chart.scale == 200
    assert widths["s1", "sent"] == 460.0
    assert widths["s1", "opened"] == 115.0
    assert widths["s2", "sent"] == 230.0
    assert widths["s2", "converted"] == 2.3
    assert widths["s1", "opened_machines"] == 0.0
    assert all(bar.x == LABEL_WIDTH for bar in chart.bars)


@pytest.mark.parametrize(
    ("value", "width"), [(0, 0.0), (1, 1.0), (10_000, 4.6), (1_000_000, 460.0)]
)
def test_a_tiny_figure_stays_visible(value: int, width: float) -> None:
    """Any non-zero figure is at least a pixel wide; zero draws nothing."""
    chart = funnel_chart(funnel({"sent": 1_000_000, "clicked": value}))
    [clicked] = [bar for bar in chart.bars if bar.measure == "clicked"]
    assert clicked.width == width


def test_layout_and_labels() -> None:
    """A heading then six bars per step, humans and machines apart, in funnel order."""
    chart = funnel_chart(funnel({"sent": 3}, {"sent": 2}))
    per_step = HEADING + len(MEASURES) * (BAR + GAP) + STEP_GAP
    assert chart.height == 2 * per_step
    assert [h.text for h in chart.headings] == ["Step s1", "Step s2"]
    first = [bar for bar in chart.bars if bar.step == "s1"]
    assert [(b.measure, b.kind) for b in first] == [
        ("sent", "sent"),
        ("opened", "human"),
        ("opened_machines", "machine"),
        ("clicked", "human"),
        ("clicked_machines", "machine"),
        ("converted", "converted"),
    ]
    assert first[0].y == HEADING
    assert first[1].y == HEADING + BAR + GAP
    assert chart.bars[len(MEASURES)].y == per_step + HEADING


def test_nothing_sent_yet() -> None:
    """No mail: scale 0, every bar empty (the page says so instead of drawing)."""
    chart = funnel_chart(funnel({}))
    assert chart.scale == 0
    assert {bar.width for bar in chart.bars} == {0.0}
