"""Transport failures end in a visible state: retried, failed and suppressed, or paused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nurture.clock import FixedClock
from nurture.consent.suppression import suppression_reason
from nurture.db import unit_of_work
from nurture.engine.campaign_state import resume_campaign
from nurture.mail import message as message_module
from nurture.models import CampaignState, Event, Lead
from nurture.sending import sender as sender_module
from tests import services
from tests.conftest import RuntimeFactory
from tests.pipeline import (
    THREE_STEPS,
    Engine,
    add_lead,
    messages,
    queued_first_steps,
    suppress_lead,
    withdraw,
    write_campaign,
)
from tests.smtp_server import SmtpServer, free_port

MONDAY = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)


def test_temporary_failures_are_retried(engine: Engine, smtp_server: SmtpServer) -> None:
    """451 twice, then 250: delivered once, after three attempts."""
    write_campaign(engine.rt, THREE_STEPS)
    add_lead(engine.rt, "retry@example.com", MONDAY - timedelta(days=1))
    smtp_server.fail_next(2, "451 4.3.0 mailbox busy, try later")
    engine.start_worker()
    engine.schedule(MONDAY)
    smtp_server.wait_for(1)
    engine.drain()
    [row] = messages(engine.rt)
    assert (row.status, row.attempts) == ("sent", 3)
    assert len(smtp_server.messages) == 1
    with unit_of_work(engine.rt.sessions) as session:
        # the success ends the campaign's run of transport errors
        assert session.get_one(CampaignState, "drip").consecutive_failures == 0


def test_temporary_failures_give_up(engine: Engine, smtp_server: SmtpServer) -> None:
    """A server that keeps answering 4xx: the row ends `failed` after max attempts."""
    engine.rt.settings = engine.rt.settings.with_overrides(send_max_attempts=2)
    write_campaign(engine.rt, THREE_STEPS)
    add_lead(engine.rt, "never@example.com", MONDAY - timedelta(days=1))
    smtp_server.fail_next(10, "421 4.7.0 too many connections")
    engine.start_worker()
    engine.schedule(MONDAY)
    engine.drain()
    [row] = messages(engine.rt)
    assert (row.status, row.attempts) == ("failed", 2)
    assert "gave up" in (row.last_error or "")
    assert smtp_server.messages == []


def test_hard_bounce_fails_and_suppresses(engine: Engine, smtp_server: SmtpServer) -> None:
    """550 5.1.1: the row fails, the address is suppressed, a bounce event is recorded."""
    write_campaign(engine.rt, THREE_STEPS)
    lead_id = add_lead(engine.rt, "gone@example.com", MONDAY - timedelta(days=1))
    smtp_server.reject("gone@example.com", "550 5.1.1 no such user")
    engine.start_worker()
    engine.schedule(MONDAY)
    engine.drain()
    [row] = messages(engine.rt)
    assert row.status == "failed"
    assert "gone@example.com" not in (row.last_error or "")  # addresses stay out of logs
    with unit_of_work(engine.rt.sessions) as session:
        key = engine.rt.settings.suppression_key
        assert suppression_reason(session, key, "gone@example.com") == "bounced"
        types = [e.type for e in session.query(Event).filter(Event.lead_id == lead_id)]
    assert "email_bounced" in types


def test_policy_rejection_pauses_the_campaign(engine: Engine, smtp_server: SmtpServer) -> None:
    """550 5.7.1: the row fails, the campaign pauses, the lead is not suppressed."""
    write_campaign(engine.rt, THREE_STEPS)
    add_lead(engine.rt, "policy@example.com", MONDAY - timedelta(days=1))
    add_lead(engine.rt, "other@example.com", MONDAY - timedelta(days=1))
    smtp_server.reject("policy@example.com", "550 5.7.1 message refused by policy")
    engine.start_worker()
    engine.schedule(MONDAY)
    engine.drain()
    with unit_of_work(engine.rt.sessions) as session:
        state = session.get_one(CampaignState, "drip")
        assert state.paused
        assert "5.7.1" in (state.pause_reason or "")
        key = engine.rt.settings.suppression_key
        assert suppression_reason(session, key, "policy@example.com") is None
    statuses = {row.lead_id: row.status for row in messages(engine.rt)}
    assert "failed" in statuses.values()
    before = len(messages(engine.rt))
    engine.schedule(MONDAY + timedelta(days=3))  # paused: nothing new is planned
    assert len(messages(engine.rt)) == before


def test_broker_down_while_scheduling(
    make_runtime: RuntimeFactory, pg_url: str, redis_namespace: str, smtp_server: SmtpServer
) -> None:
    """Redis unreachable at enqueue: the row waits, and is sent once Redis is back."""
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"
    down = Engine(
        make_runtime(
            pg_url, redis_url=dead_redis, smtp_url=smtp_server.url, redis_namespace=redis_namespace
        )
    )
    write_campaign(down.rt, THREE_STEPS)
    add_lead(down.rt, "patient@example.com", MONDAY - timedelta(days=1))
    report = down.schedule(MONDAY)
    assert report.queued == 1
    assert report.enqueue_failures >= 1
    [row] = messages(down.rt)
    assert (row.status, row.enqueued_at) == ("queued", None)

    back = Engine(
        make_runtime(
            pg_url,
            redis_url=services.REDIS_URL,
            smtp_url=smtp_server.url,
            redis_namespace=redis_namespace,
        )
    )
    back.start_worker()
    report = back.schedule(MONDAY + timedelta(minutes=1))
    assert report.requeued == 1
    back.drain()
    back.schedule(MONDAY + timedelta(minutes=2))  # a later pass does not send it again
    back.drain()
    assert [row.status for row in messages(back.rt)] == ["sent"]
    assert len(smtp_server.messages) == 1
    back.stop()


def test_paused_campaign_holds_its_queued_mail(
    make_runtime: RuntimeFactory, db_url: str, smtp_server: SmtpServer
) -> None:
    """Rows queued before a pause are not sent while it lasts; a resume sends them."""
    wall = FixedClock(MONDAY)
    rt = make_runtime(db_url, smtp_url=smtp_server.url)
    rt.wall_clock = wall
    write_campaign(rt, THREE_STEPS)
    add_lead(rt, "policy@example.com", MONDAY - timedelta(days=1))
    add_lead(rt, "other@example.com", MONDAY - timedelta(days=1))
    smtp_server.reject("policy@example.com", "550 5.7.1 message refused by policy")
    engine = Engine(rt)
    engine.hold_broker()
    engine.schedule(MONDAY)
    by_email = {row.lead_id: row for row in messages(rt)}
    with unit_of_work(rt.sessions) as session:
        leads = {lead.email: lead.id for lead in session.query(Lead)}
    refused, held = by_email[leads["policy@example.com"]], by_email[leads["other@example.com"]]

    assert rt.sender.deliver(refused.id).status == "failed"  # and the campaign pauses
    assert rt.sender.deliver(held.id).status == "not claimable"
    wall.advance(timedelta(minutes=30))
    assert engine.schedule(MONDAY + timedelta(minutes=30)).requeued == 0
    assert {row.id: row.status for row in messages(rt)}[held.id] == "queued"
    assert smtp_server.messages == []

    with unit_of_work(rt.sessions) as session:
        assert resume_campaign(session, "drip")
    assert engine.schedule(MONDAY + timedelta(minutes=31)).requeued == 1
    assert rt.sender.deliver(held.id).status == "sent"
    assert [m.rcpt_tos for m in smtp_server.messages] == [["other@example.com"]]


def test_a_pause_in_the_middle_of_a_claim_group_holds_the_rest(
    engine: Engine, smtp_server: SmtpServer
) -> None:
    """Two rows claimed together; the first is refused by policy and pauses the campaign:
    the second is given back and claimed again, so it waits like any paused mail."""
    rows = queued_first_steps(engine, ["policy@example.com", "other@example.com"], MONDAY)
    ids = [row.id for row in rows]
    smtp_server.reject("policy@example.com", "550 5.7.1 message refused by policy")

    outcomes = engine.rt.sender.deliver_many(ids)
    assert [outcome.status for outcome in outcomes] == ["failed", "not claimable"]
    held = {row.id: row for row in messages(engine.rt)}[ids[1]]
    assert (held.status, held.attempts) == ("queued", 0)
    assert smtp_server.messages == []


def test_transport_errors_are_counted_after_the_sends_before_them(
    engine: Engine, smtp_server: SmtpServer
) -> None:
    """A success resets the campaign's count of transport errors; the 451 that came
    after it in the same claim group must still count (recorded in their own order)."""
    rows = queued_first_steps(engine, ["first@example.com", "second@example.com"], MONDAY)
    ids = [row.id for row in rows]
    with unit_of_work(engine.rt.sessions) as session:
        session.get_one(CampaignState, "drip").consecutive_failures = 3
    smtp_server.reject("second@example.com", "451 4.3.0 try later")

    outcomes = engine.rt.sender.deliver_many(ids)
    assert [outcome.status for outcome in outcomes] == ["sent", "retry"]
    with unit_of_work(engine.rt.sessions) as session:
        assert session.get_one(CampaignState, "drip").consecutive_failures == 1


def test_a_claim_older_than_its_freshness_is_checked_again(
    engine: Engine, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Claimed together, but the first send took longer than CLAIM_FRESH_S: the second
    row is claimed again, and a consent withdrawn meanwhile stops it."""
    monkeypatch.setattr(sender_module, "CLAIM_FRESH_S", 0.0)
    first, second = queued_first_steps(engine, ["first@example.com", "second@example.com"], MONDAY)
    assert second.lead_id is not None
    sender = engine.rt.sender
    withdrawing = WithdrawsOnFirstSend(sender.transport, engine, second.lead_id)
    monkeypatch.setattr(sender, "transport", withdrawing)

    outcomes = sender.deliver_many([first.id, second.id])
    assert [outcome.status for outcome in outcomes] == ["sent", "suppressed"]
    assert [m.rcpt_tos for m in smtp_server.messages] == [["first@example.com"]]
    after = {row.id: row for row in messages(engine.rt)}[second.id]
    assert (after.status, after.attempts) == ("suppressed", 1)


class WithdrawsOnFirstSend:
    """A transport whose first send is slow enough for the lead `lead_id` to withdraw."""

    def __init__(self, transport: Any, engine: Engine, lead_id: int) -> None:
        self.transport, self.engine, self.lead_id, self.calls = transport, engine, lead_id, 0

    def send(self, envelope_from: str, recipient: str, data: bytes) -> str:
        self.calls += 1
        if self.calls == 1:
            withdraw(self.engine.rt, self.lead_id, "newsletter", MONDAY)
        response: str = self.transport.send(envelope_from, recipient, data)
        return response


def test_an_error_reading_committed_claims_gives_them_back(
    engine: Engine, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL commits a claim before its rows are read: if reading them fails, the
    rows go back to `queued` (they would otherwise end `unknown`, never sent)."""
    rows = queued_first_steps(engine, ["a@example.com", "b@example.com", "c@example.com"], MONDAY)
    store = engine.rt.sender.store

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("cannot read the claimed row")

    monkeypatch.setattr(type(store), "_claimed", broken, raising=False)
    monkeypatch.setattr(type(store), "_claim", broken, raising=False)
    with pytest.raises(RuntimeError, match="cannot read"):
        engine.rt.sender.deliver_many([row.id for row in rows])
    assert {(row.status, row.attempts) for row in messages(engine.rt)} == {("queued", 0)}
    assert smtp_server.messages == []


def failing_build_mime(call: int, error: Exception) -> Callable[[Any], bytes]:
    """`build_mime`, raising `error` on its `call`-th call instead."""
    real, calls = message_module.build_mime, []

    def build_mime(mail: Any) -> bytes:
        calls.append(mail.to)
        if len(calls) == call:
            raise error
        return real(mail)

    return build_mime


def test_a_mail_that_cannot_be_written_fails_alone(
    engine: Engine, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A value the MIME writer refuses fails that row, saying why; the rest of the batch
    goes out (it used to roll the batch back and leave the row queued, retried forever)."""
    write_campaign(engine.rt, THREE_STEPS)
    for name in ("first", "second"):
        add_lead(engine.rt, f"{name}@example.com", MONDAY - timedelta(days=1))
    engine.schedule(MONDAY)
    rows = messages(engine.rt)
    error = ValueError("not an e-mail address (bad domain)")
    monkeypatch.setattr(sender_module, "build_mime", failing_build_mime(1, error))
    outcomes = engine.rt.sender.deliver_many([row.id for row in rows])

    assert [outcome.status for outcome in outcomes] == ["failed", "sent"]
    first, second = messages(engine.rt)
    assert (first.status, first.last_error) == ("failed", "not an e-mail address (bad domain)")
    assert second.status == "sent"
    assert len(smtp_server.messages) == 1


def test_an_unexpected_error_gives_the_claim_back(
    engine: Engine, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug of ours while composing (not the row's fault): the send before it is still
    recorded, the row and the rest of its claim group go back to `queued` with their
    attempts not counted, and the error reaches Dramatiq, which retries the batch."""
    write_campaign(engine.rt, THREE_STEPS)
    for name in ("first", "second", "third"):
        add_lead(engine.rt, f"{name}@example.com", MONDAY - timedelta(days=1))
    engine.schedule(MONDAY)
    rows = messages(engine.rt)
    monkeypatch.setattr(sender_module, "build_mime", failing_build_mime(2, RuntimeError("a bug")))
    with pytest.raises(RuntimeError, match="a bug"):
        engine.rt.sender.deliver_many([row.id for row in rows])

    first, second, third = messages(engine.rt)
    assert first.status == "sent"
    assert (second.status, second.attempts) == ("queued", 0)
    assert (third.status, third.attempts) == ("queued", 0)
    assert [m.rcpt_tos for m in smtp_server.messages] == [[first_address(engine, first)]]
    monkeypatch.setattr(sender_module, "build_mime", message_module.build_mime)  # mended
    outcomes = engine.rt.sender.deliver_many([row.id for row in rows])
    assert [outcome.status for outcome in outcomes] == ["not claimable", "sent", "sent"]
    assert len(smtp_server.messages) == 3


class BreaksOnCall:
    """A transport that raises, as a worker killed mid-send would stop, on call `call`."""

    def __init__(self, transport: Any, call: int) -> None:
        self.transport, self.call, self.calls = transport, call, 0

    def send(self, envelope_from: str, recipient: str, data: bytes) -> str:
        self.calls += 1
        if self.calls == self.call:
            raise KeyboardInterrupt  # a BaseException, like Dramatiq's time limit
        response: str = self.transport.send(envelope_from, recipient, data)
        return response


def test_stopped_while_handing_over_a_group(
    engine: Engine, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopped in the middle of a claim group: the sends before are recorded, the row being
    handed over stays `sending` (the server may have it: reported `unknown`, never resent
    by itself), and the group's rows not reached go back to `queued`, uncounted."""
    rows = queued_first_steps(engine, [f"lead{n}@example.com" for n in range(4)], MONDAY)
    sender = engine.rt.sender
    monkeypatch.setattr(sender, "transport", BreaksOnCall(sender.transport, 3))
    with pytest.raises(KeyboardInterrupt):
        sender.deliver_many([row.id for row in rows])

    states = [(row.status, row.attempts) for row in messages(engine.rt)]
    assert states == [("sent", 1), ("sent", 1), ("sending", 1), ("queued", 0)]
    assert len(smtp_server.messages) == 2
    with unit_of_work(engine.rt.sessions) as session:
        recorded = session.query(Event).filter(Event.type == "email_sent").count()
    assert recorded == 2


def first_address(engine: Engine, row: Any) -> str:
    with unit_of_work(engine.rt.sessions) as session:
        return session.get_one(Lead, row.lead_id).email


def test_an_address_changed_after_the_batch_began_is_checked_as_it_is_now(
    engine: Engine, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch reads its recipients' addresses up front to check suppressions along with
    each claim; a lead whose address changed since then is checked under the new one."""
    write_campaign(engine.rt, THREE_STEPS)
    lead_id = add_lead(engine.rt, "old@example.com", MONDAY - timedelta(days=1))
    engine.schedule(MONDAY)
    [row] = messages(engine.rt)
    store = engine.rt.sender.store
    opened = store.open

    def open_then_change(connection: Any, message_ids: Any) -> Any:
        known = opened(connection, message_ids)
        with unit_of_work(engine.rt.sessions) as session:  # meanwhile, in another request
            session.get_one(Lead, lead_id).email = "new@example.com"
        suppress_lead(engine.rt, lead_id, "bounced", MONDAY)  # the new address bounced
        return known

    monkeypatch.setattr(store, "open", open_then_change)
    [outcome] = engine.rt.sender.deliver_many([row.id])
    assert (outcome.status, outcome.detail) == ("suppressed", "address suppressed (bounced)")
    assert smtp_server.messages == []
