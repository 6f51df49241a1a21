"""Dramatiq delivers at least once; the database makes every step go out at most once."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import nurture.actors
import nurture.sending.sender
from nurture.db import unit_of_work
from nurture.models import Message
from nurture.sending.sender import Sender
from tests.conftest import RuntimeFactory
from tests.pipeline import (
    THREE_STEPS,
    Engine,
    add_lead,
    messages,
    queued_first_steps,
    write_campaign,
)
from tests.smtp_server import SmtpServer

MONDAY = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)


def test_one_message_one_transaction(engine: Engine, smtp_server: SmtpServer) -> None:
    """The same id enqueued twice, the actor called three times, four threads: one SMTP send."""
    write_campaign(engine.rt, THREE_STEPS)
    add_lead(engine.rt, "once@example.com", MONDAY - timedelta(days=1))
    engine.hold_broker()
    engine.schedule(MONDAY)
    [row] = messages(engine.rt)

    engine.rt.actors.send_messages.send([row.id])
    engine.rt.actors.send_messages.send([row.id])
    callers = [
        threading.Thread(target=engine.rt.actors.send_messages, args=([row.id],)) for _ in range(3)
    ]
    engine.start_worker()  # four worker threads race the direct calls
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    engine.drain()

    assert len(smtp_server.messages) == 1
    [row] = messages(engine.rt)
    assert (row.status, row.attempts) == ("sent", 1)


def _concurrent_passes(engine: Engine, now: datetime, count: int) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run() -> None:
        barrier.wait()
        try:
            engine.rt.scheduler_pass().run(engine.rt.campaigns(), now)
        except Exception as error:  # a losing SQLite pass may fail; it must lose cleanly
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_concurrent_scheduler_passes_queue_each_step_once(engine: Engine) -> None:
    """Two passes at the same instant: one message row per (enrolment, step)."""
    write_campaign(engine.rt, THREE_STEPS)
    for number in range(200):
        add_lead(engine.rt, f"lead{number}@example.com", MONDAY - timedelta(days=1))
    engine.hold_broker()
    engine.schedule(MONDAY - timedelta(hours=1))  # enrol first; window still closed
    _concurrent_passes(engine, MONDAY, 2)
    _concurrent_passes(engine, MONDAY + timedelta(minutes=5), 2)  # and again, settled

    rows = messages(engine.rt)
    keys = [(row.enrolment_id, row.step_id) for row in rows]
    assert len(keys) == len(set(keys)) == 200


def test_schedulers_meeting_a_new_campaign_both_succeed(
    make_runtime: RuntimeFactory, db_url: str
) -> None:
    """A campaign file appears while two schedulers run: neither pass fails on its state."""
    rt = make_runtime(db_url)
    engine = Engine(rt)
    engine.hold_broker()
    errors: list[BaseException] = []
    for number in range(10):
        campaign = THREE_STEPS.replace("id: drip", f"id: drip{number}")
        write_campaign(rt, campaign, name=f"drip{number}.yaml")
        add_lead(rt, f"lead{number}@example.com", MONDAY - timedelta(days=1))
        errors += _concurrent_passes(engine, MONDAY - timedelta(hours=1), 2)
    assert errors == []


def test_skip_locked_splits_the_work(make_runtime: RuntimeFactory, pg_url: str) -> None:
    """On PostgreSQL two concurrent passes both succeed, taking disjoint batches."""
    rt = make_runtime(pg_url)
    engine = Engine(rt)
    write_campaign(rt, THREE_STEPS)
    for number in range(300):
        add_lead(rt, f"lead{number}@example.com", MONDAY - timedelta(days=1))
    engine.hold_broker()
    engine.schedule(MONDAY - timedelta(hours=1))
    passes = [rt.scheduler_pass() for _ in range(2)]
    for scheduler_pass in passes:
        scheduler_pass.batch_size = 50
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def run(index: int) -> None:
        barrier.wait()
        try:
            passes[index].run(rt.campaigns(), MONDAY)
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with unit_of_work(rt.sessions) as session:
        assert session.query(Message).count() == 300


@pytest.mark.parametrize("repeat", [3])
def test_actor_repeated_on_a_finished_row_does_nothing(
    engine: Engine, smtp_server: SmtpServer, repeat: int
) -> None:
    """Re-delivering an id whose message was already sent changes nothing."""
    write_campaign(engine.rt, THREE_STEPS)
    add_lead(engine.rt, "again@example.com", MONDAY - timedelta(days=1))
    engine.start_worker()
    engine.schedule(MONDAY)
    engine.drain()
    [row] = messages(engine.rt)
    for _ in range(repeat):
        engine.rt.actors.send_messages.send([row.id])
    engine.drain()
    assert len(smtp_server.messages) == 1


def test_an_id_listed_twice_in_a_batch_is_sent_once(
    engine: Engine, smtp_server: SmtpServer
) -> None:
    """Both copies fall in one claim group: the row is claimed once and handled once."""
    [row] = queued_first_steps(engine, ["once@example.com"], MONDAY)
    outcomes = engine.rt.sender.deliver_many([row.id, row.id])
    assert [outcome.status for outcome in outcomes] == ["sent", "not claimable"]
    assert len(smtp_server.messages) == 1


def test_a_chunk_out_of_time_hands_the_rest_back(
    engine: Engine, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk stops claiming once its time budget is spent (a slow SMTP server must not
    bring it near Dramatiq's time limit); the ids it did not reach go back to the queue
    and are sent, each once."""
    monkeypatch.setattr(nurture.actors, "SEND_BUDGET", timedelta(0))  # one group a turn
    monkeypatch.setattr(nurture.sending.sender, "CLAIM_GROUP", 1)  # of one mail
    turns: list[int] = []
    deliver_many = Sender.deliver_many

    def counted(sender: Sender, ids: Sequence[int], budget: timedelta | None = None) -> Any:
        turns.append(len(ids))
        return deliver_many(sender, ids, budget)

    monkeypatch.setattr(Sender, "deliver_many", counted)
    rows = queued_first_steps(engine, ["a@example.com", "b@example.com", "c@example.com"], MONDAY)
    engine.rt.actors.send_messages.send([row.id for row in rows])
    engine.start_worker()
    engine.drain()

    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == [
        "a@example.com",
        "b@example.com",
        "c@example.com",
    ]
    assert {row.status for row in messages(engine.rt)} == {"sent"}
    assert turns == [3, 2, 1]
