"""Durations as marketers write them: ``30m``, ``4h``, ``2d``, ``1w`` (and ``0m``)."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"^\s*(\d{1,6})\s*(m|h|d|w)\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
# A drip step more than ten years out is a typo; and from ~8,000 years on, adding it to
# a date overflows, which would fail every scheduler pass, for every campaign.
LONGEST = timedelta(days=3653)


def parse_duration(value: object) -> timedelta:
    """Parse ``2d`` into a timedelta; anything else raises ValueError with a hint."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(f"must be a duration like 30m, 4h, 2d or 1w, not {value!r}")
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a duration: use a number and m, h, d or w (30m, 2d)")
    amount, unit = match.groups()
    duration = timedelta(**{_UNITS[unit]: int(amount)})
    if duration > LONGEST:
        raise ValueError(f"{value!r} is longer than ten years ({format_duration(LONGEST)})")
    return duration


def format_duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    for unit, size in (("w", 10080), ("d", 1440), ("h", 60)):
        if minutes and minutes % size == 0:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"
