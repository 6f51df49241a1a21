"""The one window where an outcome can be lost: after the server's 250, before `sent`.

Policy: at-most-once. Such a row ends `unknown`, is reported, is never re-sent on its
own, and an operator may resend it knowingly.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from nurture.clock import FixedClock
from nurture.db import unit_of_work
from nurture.mail.transport import Transport
from nurture.sending.resend import resend
from tests.conftest import RuntimeFactory
from tests.pipeline import THREE_STEPS, Engine, add_lead, messages, write_campaign
from tests.smtp_server import SmtpServer

MONDAY = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)


class WorkerDied(BaseException):
    """Stands for the process being killed: not an Exception, nothing catches it."""


class DiesAfterSending:
    def __init__(self, real: Transport) -> None:
        self.real = real

    def send(self, envelope_from: str, recipient: str, data: bytes) -> str:
        self.real.send(envelope_from, recipient, data)
        raise WorkerDied

    def close(self) -> None:
        self.real.close()


def test_lost_outcome_becomes_unknown_and_is_not_resent(
    make_runtime: RuntimeFactory, db_url: str, smtp_server: SmtpServer
) -> None:
    """Crash after 250: `unknown` after the stale delay, no second send until resent."""
    wall = FixedClock(MONDAY)
    rt = make_runtime(db_url, smtp_url=smtp_server.url)
    rt.wall_clock = wall
    write_campaign(rt, THREE_STEPS)
    add_lead(rt, "maybe@example.com", MONDAY - timedelta(days=1))
    engine = Engine(rt)
    engine.hold_broker()
    engine.schedule(MONDAY)
    [row] = messages(rt)
    real = rt.transport
    rt.transport = DiesAfterSending(real)
    with pytest.raises(WorkerDied):
        rt.sender.deliver(row.id)
    assert len(smtp_server.messages) == 1
    assert messages(rt)[0].status == "sending"

    wall.advance(timedelta(minutes=5))
    engine.schedule(MONDAY + timedelta(minutes=5))  # not stale yet: left alone
    assert messages(rt)[0].status == "sending"
    wall.advance(timedelta(minutes=10))
    report = engine.schedule(MONDAY + timedelta(minutes=15))
    assert report.unknown == 1
    [row] = messages(rt)
    assert row.status == "unknown"
    assert "may or may not have been delivered" in (row.last_error or "")
    engine.schedule(MONDAY + timedelta(hours=1))
    assert messages(rt)[0].status == "unknown"  # never re-sent on its own
    assert rt.sender.deliver(row.id).status == "not claimable"

    rt.sender.transport = real
    with unit_of_work(rt.sessions) as session:
        assert resend(session, [row.public_id], wall.now()) == [row.id]
    assert rt.sender.deliver(row.id).status == "sent"
    assert len(smtp_server.messages) == 2  # the operator chose a possible duplicate


def test_reply_lost_after_data_is_unknown_not_retried(
    make_runtime: RuntimeFactory, db_url: str, smtp_server: SmtpServer
) -> None:
    """The 250 comes after the client's timeout: `unknown` at once, never a second send."""
    rt = make_runtime(db_url, smtp_url=smtp_server.url, smtp_timeout=0.3)
    write_campaign(rt, THREE_STEPS)
    add_lead(rt, "slow@example.com", MONDAY - timedelta(days=1))
    engine = Engine(rt)
    engine.hold_broker()
    engine.schedule(MONDAY)
    [row] = messages(rt)
    smtp_server.slow_next(1, 1.0)

    outcome = rt.sender.deliver(row.id)

    assert (outcome.status, outcome.retry_in) == ("unknown", None)
    [row] = messages(rt)
    assert row.status == "unknown"
    assert "may have been accepted" in (row.last_error or "")
    assert rt.sender.deliver(row.id).status == "not claimable"
    engine.schedule(MONDAY + timedelta(hours=1))
    assert messages(rt)[0].status == "unknown"
    assert len(smtp_server.messages) == 1
