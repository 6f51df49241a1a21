"""Stored scores on SQLite and PostgreSQL: updates, ledger, transitions, objection,
recompute, refresh."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from nurture.clock import FixedClock
from nurture.db import unit_of_work
from nurture.models import Lead, ScoreLedger
from nurture.runtime import Runtime
from nurture.scoring.explain import explain
from nurture.scoring.recompute import recompute_all
from nurture.scoring.service import clear_profile, update_scores
from tests.conftest import RuntimeFactory
from tests.handoff_support import add_events, event_types, lead, write_rules
from tests.pipeline import add_lead

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def _runtime(make_runtime: RuntimeFactory, db_url: str) -> Runtime:
    rt = make_runtime(db_url)
    write_rules(rt, mode="pull")
    rt.clock = FixedClock(T0)
    return rt


def test_an_event_moves_the_stored_score(make_runtime: RuntimeFactory, db_url: str) -> None:
    """Reply + open: 25 points, warm, MQL; the ledger explains it; transitions recorded once."""
    rt = _runtime(make_runtime, db_url)
    lead_id = add_lead(rt, "lucia@example.com", T0 - timedelta(days=1), country="ES")
    add_events(rt, lead_id, T0, "email_replied", "email_opened")
    outcome = rt.scorer.update([lead_id])
    assert outcome is not None
    stored = lead(rt, lead_id)
    assert (stored.fit_score, stored.engagement_score, stored.score) == (10, 25, 35)
    assert (stored.temperature, stored.lifecycle_stage) == ("warm", "mql")
    assert event_types(rt, lead_id, "became_") == ["became_mql", "became_warm"]
    with unit_of_work(rt.sessions) as session:
        lines = [line.text for line in explain(session, session.get_one(Lead, lead_id))]
    assert lines == [
        "+10 iberia: profile matches (country: ES)",
        "+20 reply: email_replied on 2026-05-04 09:00 UTC",
        "+5 open: email_opened on 2026-05-04 09:00 UTC",
    ]
    rt.scorer.update([lead_id])  # at least once: a repeat changes nothing
    assert event_types(rt, lead_id, "became_") == ["became_mql", "became_warm"]


def test_two_workers_scoring_one_lead_record_each_change_once(
    make_runtime: RuntimeFactory, db_url: str
) -> None:
    """A second update that starts while the first is uncommitted waits and sees its result."""
    rt = _runtime(make_runtime, db_url)
    lead_id = add_lead(rt, "twice@example.com", T0 - timedelta(days=1), country="ES")
    add_events(rt, lead_id, T0, "email_replied", "email_opened")
    rules = rt.scoring().rules
    assert rules is not None
    first_flushed = threading.Event()

    def first() -> None:
        with unit_of_work(rt.sessions) as session:
            update_scores(session, [lead_id], rules, T0)
            first_flushed.set()
            time.sleep(0.5)  # the second update starts now, before this one commits

    worker = threading.Thread(target=first)
    worker.start()
    assert first_flushed.wait(10)
    rt.scorer.update([lead_id])
    worker.join()
    assert event_types(rt, lead_id, "became_") == ["became_mql", "became_warm"]


def test_updated_at_is_left_alone(make_runtime: RuntimeFactory, db_url: str) -> None:
    """A score is derived: updating it does not make the lead look recently touched."""
    rt = _runtime(make_runtime, db_url)
    lead_id = add_lead(rt, "quiet@example.com", T0 - timedelta(days=400))
    before = lead(rt, lead_id).updated_at
    add_events(rt, lead_id, T0, "email_replied")
    rt.scorer.update([lead_id])
    assert lead(rt, lead_id).score == 20
    assert lead(rt, lead_id).updated_at == before


def test_objection_removes_score_and_ledger(make_runtime: RuntimeFactory, db_url: str) -> None:
    """Profiling objected: score zero, ledger deleted in the same transaction, explain empty."""
    rt = _runtime(make_runtime, db_url)
    lead_id = add_lead(rt, "no-profile@example.com", T0, country="PT")
    add_events(rt, lead_id, T0, "email_replied", "email_replied")
    rt.scorer.update([lead_id])
    assert lead(rt, lead_id).score == 50
    with unit_of_work(rt.sessions) as session:
        person = session.get_one(Lead, lead_id)
        person.profiling_objected = True
        clear_profile(session, lead_id)
    with unit_of_work(rt.sessions) as session:
        person = session.get_one(Lead, lead_id)
        assert (person.score, person.fit_score, person.engagement_score) == (0, 0, 0)
        assert session.get(ScoreLedger, lead_id) is None
        assert explain(session, person) == []
    add_events(rt, lead_id, T0, "email_replied")
    rt.scorer.update([lead_id])  # later events do not bring it back
    assert lead(rt, lead_id).score == 0
    with unit_of_work(rt.sessions) as session:
        assert session.get(ScoreLedger, lead_id) is None


def test_recompute_gives_what_the_increments_gave(
    make_runtime: RuntimeFactory, db_url: str
) -> None:
    """Scores built event by event equal a full recompute, column for column and line for line."""
    rt = _runtime(make_runtime, db_url)
    ids = [
        add_lead(rt, f"lead{n}@example.com", T0, country=("ES" if n % 2 else "FR"))
        for n in range(5)
    ]
    for n, lead_id in enumerate(ids):
        for day in range(n + 1):
            add_events(rt, lead_id, T0 + timedelta(hours=day), "email_opened", "email_clicked")
            rt.scorer.update([lead_id])
    incremental = _snapshot(rt)
    with unit_of_work(rt.sessions) as session:
        session.execute(update(Lead).values(score=0, fit_score=0, engagement_score=0))
        session.execute(update(ScoreLedger).values(lines=[]))
    outcome = recompute_all(
        rt.sessions, rt.scoring().require(), T0, enqueue_deliveries=lambda ids: None, batch_size=2
    )
    assert outcome.scored == 5
    assert _snapshot(rt) == incremental


def _snapshot(rt: Runtime) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with unit_of_work(rt.sessions) as session:
        leads = session.execute(
            select(
                Lead.id, Lead.score, Lead.fit_score, Lead.engagement_score, Lead.temperature
            ).order_by(Lead.id)
        ).all()
        ledgers = session.execute(
            select(ScoreLedger.lead_id, ScoreLedger.lines).order_by(ScoreLedger.lead_id)
        ).all()
    return [tuple(row) for row in leads], [tuple(row) for row in ledgers]


def test_the_scheduler_refresh_applies_decay_and_new_rules(
    make_runtime: RuntimeFactory, db_url: str
) -> None:
    """Idle leads decay a day later; a changed scoring.yaml reaches every lead by itself."""
    rt = _runtime(make_runtime, db_url)
    lead_id = add_lead(rt, "idle@example.com", T0)
    add_events(rt, lead_id, T0, "email_replied", "email_replied")
    rt.scorer.update([lead_id])
    assert lead(rt, lead_id).score == 40
    refresh = rt.scoring_pass()
    assert refresh.run(T0 + timedelta(hours=1)) == []  # fresh: nothing to do
    notes = refresh.run(T0 + timedelta(days=30))
    assert notes == ["scores refreshed: 1 (1 changed)"]
    assert lead(rt, lead_id).score == 20  # one half-life
    (rt.settings.campaigns_dir / "scoring.yaml").write_text(
        (rt.settings.campaigns_dir / "scoring.yaml").read_text().replace("points: 20", "points: 30")
    )
    assert refresh.run(T0 + timedelta(days=30, minutes=1)) == ["scores refreshed: 1 (1 changed)"]
    assert lead(rt, lead_id).score == 30
    with unit_of_work(rt.sessions) as session:
        assert session.scalar(select(func.count()).select_from(ScoreLedger)) == 1


def test_a_broken_rules_file_pauses_scoring_visibly(
    make_runtime: RuntimeFactory, db_url: str
) -> None:
    """An invalid scoring.yaml scores nothing and says so at every pass."""
    rt = _runtime(make_runtime, db_url)
    lead_id = add_lead(rt, "wait@example.com", T0)
    (rt.settings.campaigns_dir / "scoring.yaml").write_text("behaviour: 3\n")
    add_events(rt, lead_id, T0, "email_replied")
    assert rt.scorer.update([lead_id]) is None
    assert lead(rt, lead_id).score == 0
    [note] = rt.scoring_pass().run(T0)
    assert note.startswith("scoring paused, fix scoring.yaml:")
