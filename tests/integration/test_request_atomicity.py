"""A request's writes commit together or not at all, on SQLite too.

Python's sqlite3 opens no transaction before a SAVEPOINT, so SQLite takes the first
savepoint of a unit of work for the whole transaction and its RELEASE commits: a
savepoint used to catch a duplicate (a rate-limit counter) or a bad field (a
correction) would have committed everything before the request failed.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from nurture.db import unit_of_work
from nurture.models import RateLimit
from nurture.prospects.ratelimit import allow
from tests.conftest import RuntimeFactory

NOW = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)


class RequestFailed(Exception):
    pass


def test_a_counted_hit_is_undone_with_its_failed_request(
    make_runtime: RuntimeFactory, db_url: str
) -> None:
    rt = make_runtime(db_url)

    def failing_request() -> None:
        with unit_of_work(rt.sessions) as session:
            assert allow(session, "first-hit", 5, NOW)
            raise RequestFailed

    with pytest.raises(RequestFailed):
        failing_request()
    with unit_of_work(rt.sessions) as session:
        assert session.get(RateLimit, "first-hit") is None
