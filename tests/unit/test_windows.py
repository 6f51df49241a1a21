from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from nurture.campaigns.schema import Window
from nurture.scheduling.windows import HORIZON_DAYS, in_window, next_opening, resolve_timezone

MADRID = ZoneInfo("Europe/Madrid")
WEEKDAYS_9_18 = Window.model_validate(
    {"days": ["mon", "tue", "wed", "thu", "fri"], "hours": "09:00-18:00"}
)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def window(days: list[str], hours: str | None = None, timezone: str | None = None) -> Window:
    data: dict[str, object] = {"days": days}
    if hours is not None:
        data["hours"] = hours
    if timezone is not None:
        data["timezone"] = timezone
    return Window.model_validate(data)


@pytest.mark.parametrize(
    ("lead_tz", "win", "expected"),
    [
        pytest.param(
            "America/New_York",
            window(["mon"], timezone="Europe/Madrid"),
            "America/New_York",
            id="lead zone wins",
        ),
        pytest.param(
            None,
            window(["mon"], timezone="Europe/Madrid"),
            "Europe/Madrid",
            id="no lead zone: window's",
        ),
        pytest.param(
            "Mars/Olympus_Mons",
            window(["mon"], timezone="Europe/Madrid"),
            "Europe/Madrid",
            id="unknown lead zone: window's",
        ),
        pytest.param(
            "../../etc/passwd",
            window(["mon"], timezone="Asia/Tokyo"),
            "Asia/Tokyo",
            id="path-like lead zone: window's",
        ),
        pytest.param("", None, "UTC", id="empty lead zone, no window: UTC"),
        pytest.param("Europe", window(["mon"]), "UTC", id="zone folder, window without zone"),
        pytest.param(None, None, "UTC", id="nothing: UTC"),
    ],
)
def test_resolve_timezone(lead_tz: str | None, win: Window | None, expected: str) -> None:
    """The lead's zone is used when valid; a bad one falls back instead of crashing."""
    assert resolve_timezone(lead_tz, win) == ZoneInfo(expected)


@pytest.mark.parametrize(
    ("at", "win", "expected"),
    [
        pytest.param(utc("2026-03-04 08:00"), WEEKDAYS_9_18, True, id="opens at 09:00 CET"),
        pytest.param(utc("2026-03-04 07:59"), WEEKDAYS_9_18, False, id="before opening"),
        pytest.param(utc("2026-03-04 16:59"), WEEKDAYS_9_18, True, id="last minute"),
        pytest.param(utc("2026-03-04 17:00"), WEEKDAYS_9_18, False, id="end is exclusive"),
        pytest.param(utc("2026-04-08 07:00"), WEEKDAYS_9_18, True, id="09:00 CEST in summer"),
        pytest.param(utc("2026-04-08 16:30"), WEEKDAYS_9_18, False, id="18:30 CEST in summer"),
        pytest.param(utc("2026-03-07 10:00"), WEEKDAYS_9_18, False, id="saturday"),
        pytest.param(utc("2026-03-07 10:00"), None, True, id="no window: always"),
        pytest.param(
            utc("2026-03-07 23:30"), window(["sun"]), True, id="whole day: sunday 00:30 local"
        ),
        pytest.param(
            utc("2026-03-08 23:30"), window(["sun"]), False, id="whole day: monday 00:30 local"
        ),
        pytest.param(
            utc("2026-03-08 22:59"),
            window(["sun"], "20:00-24:00"),
            True,
            id="24:00 end: 23:59 local",
        ),
    ],
)
def test_in_window(at: datetime, win: Window | None, expected: bool) -> None:
    """Windows are read in local wall time on the allowed days, end exclusive."""
    assert in_window(at, win, MADRID) is expected


@pytest.mark.parametrize(
    ("at", "win", "expected"),
    [
        pytest.param(
            utc("2026-03-04 10:00"), WEEKDAYS_9_18, utc("2026-03-04 10:00"), id="inside: now"
        ),
        pytest.param(
            utc("2026-03-04 06:00"),
            WEEKDAYS_9_18,
            utc("2026-03-04 08:00"),
            id="early morning: today",
        ),
        pytest.param(
            utc("2026-03-04 18:00"), WEEKDAYS_9_18, utc("2026-03-05 08:00"), id="evening: tomorrow"
        ),
        pytest.param(
            utc("2026-03-06 17:00"),
            WEEKDAYS_9_18,
            utc("2026-03-09 08:00"),
            id="friday evening: monday",
        ),
        pytest.param(
            utc("2026-03-07 12:00"), WEEKDAYS_9_18, utc("2026-03-09 08:00"), id="saturday: monday"
        ),
        pytest.param(
            utc("2026-03-27 17:00"),
            WEEKDAYS_9_18,
            utc("2026-03-30 07:00"),
            id="weekend across spring DST: 09:00 CEST",
        ),
        pytest.param(
            utc("2026-10-23 17:00"),
            WEEKDAYS_9_18,
            utc("2026-10-26 08:00"),
            id="weekend across autumn DST: 09:00 CET",
        ),
        pytest.param(
            utc("2026-03-28 22:00"),
            window(["sun"], "02:30-04:00"),
            utc("2026-03-29 01:00"),
            id="gap: opens when clocks jump",
        ),
        pytest.param(
            utc("2026-10-24 22:00"),
            window(["sun"], "02:30-04:00"),
            utc("2026-10-25 00:30"),
            id="ambiguous: first occurrence",
        ),
        pytest.param(
            utc("2026-03-25 12:00"),
            window(["sun"], "02:10-02:50"),
            utc("2026-04-02 12:00"),
            id="window inside the gap, only weekday: look again in 8 days",
        ),
        pytest.param(
            utc("2026-04-02 12:00"),
            window(["sun"], "02:10-02:50"),
            utc("2026-04-05 00:10"),
            id="the following week it opens",
        ),
        pytest.param(
            utc("2026-03-02 12:00"),
            window(["sun"]),
            utc("2026-03-07 23:00"),
            id="whole sunday: local midnight",
        ),
        pytest.param(
            utc("2026-03-09 09:00"),
            window(["mon"], "09:00-10:00"),
            utc("2026-03-16 08:00"),
            id="only monday, just missed: next week",
        ),
    ],
)
def test_next_opening(at: datetime, win: Window, expected: datetime) -> None:
    """The next opening is computed per local day, so DST moves it in UTC."""
    assert next_opening(at, win, MADRID) == expected


def test_next_opening_without_window_is_now() -> None:
    """No window means no waiting."""
    assert next_opening(utc("2026-03-07 03:00"), None, MADRID) == utc("2026-03-07 03:00")


def test_next_opening_is_utc() -> None:
    """Openings come back in UTC even when asked in local time."""
    opening = next_opening(datetime(2026, 3, 7, 12, tzinfo=MADRID), WEEKDAYS_9_18, MADRID)
    assert opening.utcoffset() == timedelta(0)
    assert opening == utc("2026-03-09 08:00")


@pytest.mark.parametrize(
    ("day", "hours", "opens"),
    [
        pytest.param("2026-03-29", "09:00-18:00", "2026-03-29 07:00", id="spring: 09:00"),
        pytest.param("2026-03-29", "02:30-04:00", "2026-03-29 01:00", id="spring: in gap"),
        pytest.param("2026-03-29", "01:30-02:30", "2026-03-29 00:30", id="spring: ends in gap"),
        pytest.param("2026-10-25", "09:00-18:00", "2026-10-25 08:00", id="autumn: 09:00"),
        pytest.param("2026-10-25", "02:30-04:00", "2026-10-25 00:30", id="autumn: repeated"),
        pytest.param("2026-10-25", "02:00-02:45", "2026-10-25 00:00", id="autumn: inside hour"),
        pytest.param("2026-10-25", "01:30-02:30", "2026-10-24 23:30", id="autumn: ends twice"),
    ],
)
def test_window_opens_exactly_once_on_dst_days(day: str, hours: str, opens: str) -> None:
    """Polled every minute, a Sunday window on a DST day opens once, at the right instant."""
    win = window(["sun"], hours)
    # Step in UTC: adding minutes to a Madrid datetime would step wall time instead.
    start = datetime.fromisoformat(day).replace(tzinfo=MADRID).astimezone(UTC) - timedelta(hours=3)
    minutes = [start + timedelta(minutes=m) for m in range(30 * 60)]
    states = [in_window(at, win, MADRID) for at in minutes]
    openings = [
        at
        for at, before, now in zip(minutes[1:], states, states[1:], strict=False)
        if now and not before
    ]
    assert openings == [utc(opens)]


@pytest.mark.parametrize(
    "win",
    [
        pytest.param(WEEKDAYS_9_18, id="weekdays 9-18"),
        pytest.param(window(["sun"], "02:30-03:30"), id="sunday night, DST hours"),
        pytest.param(window(["sat", "sun"]), id="weekend, whole days"),
        pytest.param(window(["wed"], "23:00-24:00"), id="wednesday until midnight"),
    ],
)
def test_next_opening_terminates_and_lands_inside(win: Window) -> None:
    """Across a whole year, the answer is inside the window and within 8 days."""
    at = utc("2026-01-01 00:00")
    while at < utc("2027-01-01 00:00"):
        opening = next_opening(at, win, MADRID)
        assert at <= opening <= at + timedelta(days=HORIZON_DAYS)
        assert in_window(opening, win, MADRID)
        at += timedelta(hours=7, minutes=13)
