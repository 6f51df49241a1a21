"""The tracking settings read from the environment, and their clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from nurture.config import ConfigError, load_settings

BASE = {"NURTURE_SECRET_KEYS": "k", "NURTURE_SUPPRESSION_KEY": "s"}


def test_defaults(tmp_path: Path) -> None:
    """Per-person tracking only with consent, humans only, local spool, a 2 s drainer."""
    s = load_settings(BASE, cwd=tmp_path)
    assert (s.aggregate_tracking, s.count_machine_engagement) == (False, False)
    assert (s.scanner_click_seconds, s.tracking_drain_interval) == (2.0, 2.0)
    assert (s.tracking_buffer, s.tracking_fsync, s.tracking_spool_dir) == ("spool", False, None)


def test_every_variable(tmp_path: Path) -> None:
    """Each NURTURE_* variable reaches its setting."""
    s = load_settings(
        {
            **BASE,
            "NURTURE_REDIS_URL": "redis://127.0.0.1:6379/0",
            "NURTURE_AGGREGATE_TRACKING": "true",
            "NURTURE_COUNT_MACHINE_ENGAGEMENT": "yes",
            "NURTURE_SCANNER_CLICK_SECONDS": "1.5",
            "NURTURE_TRACKING_DRAIN_INTERVAL": "0",
            "NURTURE_TRACKING_BUFFER": "redis",
            "NURTURE_TRACKING_FSYNC": "on",
            "NURTURE_TRACKING_SPOOL_DIR": "spool",
        },
        cwd=tmp_path,
    )
    assert (s.aggregate_tracking, s.count_machine_engagement, s.tracking_fsync) == (
        True,
        True,
        True,
    )
    assert (s.scanner_click_seconds, s.tracking_drain_interval) == (1.5, 0.0)
    assert (s.tracking_buffer, s.tracking_spool_dir) == ("redis", tmp_path / "spool")


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"NURTURE_TRACKING_BUFFER": "kafka"}, "must be redis or spool"),
        ({"NURTURE_TRACKING_BUFFER": "redis"}, "needs NURTURE_REDIS_URL"),
        ({"NURTURE_SCANNER_CLICK_SECONDS": "-1"}, "must not be negative"),
        ({"NURTURE_TRACKING_DRAIN_INTERVAL": "soon"}, "a number of seconds"),
        ({"NURTURE_AGGREGATE_TRACKING": "maybe"}, "true or false"),
    ],
)
def test_bad_values_name_the_variable(
    tmp_path: Path, variables: dict[str, str], message: str
) -> None:
    """A wrong value stops start-up with the variable's name, never a silent default."""
    name = next(iter(variables))
    with pytest.raises(ConfigError, match=message) as raised:
        load_settings({**BASE, **variables}, cwd=tmp_path)
    assert name in str(raised.value)
