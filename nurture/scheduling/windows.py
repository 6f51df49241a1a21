"""Send windows in the lead's local time, correct across daylight-saving changes.

Each allowed calendar day D has at most one window: the span of instants

    [first instant the local clock on D reads `start`, first instant it reads `end`)

(whole days: from D's midnight to the next day's). Reading "the first instant" literally
gives both DST rules:

* **Gap** (the time does not exist that day, e.g. 02:30 on 2026-03-29 in Europe/Madrid,
  where 02:00 jumps to 03:00): the window opens *at the moment the clocks jump*
  (01:00 UTC, 03:00 local). A window lying wholly inside the skipped hour does not open.
* **Ambiguity** (the time happens twice, e.g. 02:30 on 2026-10-25 in Madrid): the window
  opens at the *first* occurrence (00:30 UTC) and stays open until the clock first reads
  `end`, so the repeated hour neither reopens nor closes it: it opens exactly once.

Arithmetic is done per calendar day in local wall time and converted with ``zoneinfo``;
adding 24 h to a UTC instant would drift by an hour on the days the clocks change.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nurture.campaigns.schema import WEEKDAYS, Window

# next_opening never looks further; a weekly window always opens within 8 days.
HORIZON_DAYS = 8
_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time(0, 0)
_UTC = ZoneInfo("UTC")


def resolve_timezone(lead_tz: str | None, window: Window | None) -> ZoneInfo:
    """The lead's zone if it is a valid IANA name, else the window's, else UTC."""
    fallback = window.timezone if window else None
    for name in (lead_tz, fallback):
        zone = _zone(name)
        if zone is not None:
            return zone
    return _UTC


def in_window(at: datetime, window: Window | None, tz: ZoneInfo) -> bool:
    """Whether the aware instant `at` lies inside one day's window (no window: always)."""
    if window is None:
        return True
    day = at.astimezone(tz).date()
    # A day's window can spill past its own local date (fall-back across midnight).
    return any(start <= at < end for start, end in _spans(window, tz, day - _ONE_DAY, 3))


def next_opening(at: datetime, window: Window | None, tz: ZoneInfo) -> datetime:
    """`at` itself when inside the window, else the next instant it opens (aware, UTC).

    If no window opens within HORIZON_DAYS (only possible when a DST gap swallows the
    window on its only weekday), returns `at` + HORIZON_DAYS: a safe time to look again.
    """
    if window is None or in_window(at, window, tz):
        return at
    # From the day before: a window may spill past its local date (see in_window).
    yesterday = at.astimezone(tz).date() - _ONE_DAY
    for start, _end in _spans(window, tz, yesterday, HORIZON_DAYS + 2):
        if start > at:
            return start
    return (at + timedelta(days=HORIZON_DAYS)).astimezone(UTC)


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # Lead data comes from imports and forms: a bad zone must not stop the campaign.
        return None


def _spans(
    window: Window, tz: ZoneInfo, first: date, count: int
) -> Iterator[tuple[datetime, datetime]]:
    """Non-empty (open, close) UTC spans of the allowed days from `first` on, in order."""
    for offset in range(count):
        day = first + timedelta(days=offset)
        if WEEKDAYS[day.weekday()] not in window.days:
            continue
        start, end = _day_span(window, tz, day)
        if start < end:
            yield start, end


def _day_span(window: Window, tz: ZoneInfo, day: date) -> tuple[datetime, datetime]:
    start, end = window.hours or (_MIDNIGHT, time.max)
    # The schema writes "24:00" as time.max: such a window (or a whole day) runs to the
    # next midnight, which may itself be shifted by DST.
    if end == time.max:
        return _first_instant(day, start, tz), _first_instant(day + _ONE_DAY, _MIDNIGHT, tz)
    return _first_instant(day, start, tz), _first_instant(day, end, tz)


def _first_instant(day: date, wall_time: time, tz: ZoneInfo) -> datetime:
    """The first UTC instant at which the local clock on `day` reads `wall_time` or later."""
    wall = datetime.combine(day, wall_time)
    # PEP 495: for a repeated time fold=0 is the earlier occurrence.
    earlier = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if _wall(earlier, tz) == wall:
        return earlier
    # `wall` falls in a gap: fold=1 lands before the jump, fold=0 after it.
    before_jump = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    return _jump_instant(before_jump, earlier, wall, tz)


def _jump_instant(low: datetime, high: datetime, wall: datetime, tz: ZoneInfo) -> datetime:
    """Bisect (low, high] for the first instant whose local clock reads `wall` or later."""
    resolution = timedelta(microseconds=1)
    while high - low > resolution:
        middle = low + (high - low) // 2
        if _wall(middle, tz) >= wall:
            high = middle
        else:
            low = middle
    return high


def _wall(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)
