"""The entry cursor never moves past an entry event it has not acted on yet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from nurture.clock import FixedClock
from nurture.db import unit_of_work
from nurture.leads.events import record_event
from nurture.models import Enrolment, Lead
from tests.conftest import RuntimeFactory
from tests.pipeline import THREE_STEPS, Engine, add_lead, write_campaign

MONDAY = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
WEBINAR = THREE_STEPS.replace("on: consent_confirmed", "on: webinar_attended")


def _attended(engine: Engine, lead_id: int, at: datetime) -> None:
    with unit_of_work(engine.rt.sessions) as session:
        record_event(session, session.get_one(Lead, lead_id), "webinar_attended", occurred_at=at)


def _enrolled(engine: Engine) -> set[int]:
    with unit_of_work(engine.rt.sessions) as session:
        return set(session.scalars(select(Enrolment.lead_id)))


def test_an_event_dated_ahead_enrols_when_its_time_comes(
    make_runtime: RuntimeFactory, db_url: str
) -> None:
    """An entry event dated after the pass (``--at``, a skewed clock) waits, it is not lost
    when a later-recorded event settles past it."""
    rt = make_runtime(db_url)
    rt.wall_clock = FixedClock(datetime.now(UTC) + timedelta(minutes=10))  # both settled
    engine = Engine(rt)
    engine.hold_broker()
    write_campaign(rt, WEBINAR)
    ahead = add_lead(rt, "ahead@example.com", MONDAY - timedelta(days=1))
    today = add_lead(rt, "today@example.com", MONDAY - timedelta(days=1))
    _attended(engine, ahead, MONDAY + timedelta(days=1))
    _attended(engine, today, MONDAY - timedelta(hours=1))

    assert engine.schedule(MONDAY).enrolled == 1
    assert _enrolled(engine) == {today}
    assert engine.schedule(MONDAY + timedelta(days=1, minutes=1)).enrolled == 1
    assert _enrolled(engine) == {today, ahead}
