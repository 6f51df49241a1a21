"""The demo's virtual clock starts where the example campaigns have something to send."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from nurture.demo.run import demo_start


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)  # 2026-12-07 is a Monday


@pytest.mark.parametrize(
    ("now", "start"),
    [
        (at(8, 11, 15), at(8, 11, 15)),  # Tuesday late morning: as it is
        (at(8, 7, 30), at(8, 7, 30)),  # the opening minute itself
        (at(8, 6, 0), at(8, 7, 30)),  # Tuesday before dawn: that morning
        (at(8, 16, 0), at(9, 7, 30)),  # Tuesday evening: Wednesday morning
        (at(11, 20, 0), at(14, 7, 30)),  # Friday night: Monday morning
        (at(5, 12, 0), at(7, 7, 30)),  # Saturday noon: Monday morning
        (at(6, 23, 59), at(7, 7, 30)),  # Sunday night: Monday morning
    ],
)
def test_demo_starts_on_a_weekday_morning(now: datetime, start: datetime) -> None:
    assert demo_start(now) == start
