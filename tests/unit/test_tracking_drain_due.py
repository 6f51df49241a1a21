"""When the web process's drainer thread drains: in the gaps, but never too late."""

from __future__ import annotations

import pytest

from nurture.tracking.background import drain_due


@pytest.mark.parametrize(
    ("now", "last_hit", "last_drain", "due"),
    [
        pytest.param(100.5, 100.0, 90.0, False, id="hits keep coming, drained 10 s ago"),
        pytest.param(101.0, 100.0, 90.0, True, id="a second without hits"),
        pytest.param(120.0, 119.9, 90.0, True, id="busy, but 30 s since the last drain"),
        pytest.param(119.0, 118.9, 90.0, False, id="busy, 29 s since the last drain"),
    ],
)
def test_drain_due(now: float, last_hit: float, last_drain: float, due: bool) -> None:
    """quiet = 1 s, max_delay = 30 s."""
    assert drain_due(now, last_hit, last_drain, quiet=1.0, max_delay=30.0) is due
