"""An event cursor moves only over events old enough to have committed in id order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from nurture.engine.cursor import SETTLE, settled

NOW = datetime(2026, 3, 30, 12, 0, tzinfo=UTC)
OLD = NOW - SETTLE - timedelta(seconds=1)
RECENT = NOW - timedelta(seconds=5)


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        pytest.param([], 10, id="nothing new: stays"),
        pytest.param([(11, OLD), (12, OLD)], 12, id="all settled: moves to the last"),
        pytest.param([(11, RECENT), (12, RECENT)], 10, id="all recent: stays"),
        pytest.param([(11, OLD), (12, RECENT), (13, OLD)], 11, id="stops at the first recent"),
        pytest.param([(11, NOW - SETTLE)], 11, id="exactly the settling delay: settled"),
    ],
)
def test_settled(events: list[tuple[int, datetime]], expected: int) -> None:
    """Table of cursor moves."""
    assert settled(10, events, NOW) == expected
