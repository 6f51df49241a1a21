"""Tracked mail end to end: SMTP → pixel and clicks through the app → classified events →
the campaign branch that depends on the click. On SQLite + the spool and on PostgreSQL +
Redis, with a real SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from nurture.actors import SCORE_QUEUE
from nurture.clock import FixedClock
from nurture.db import unit_of_work
from nurture.models import Lead, TrackingCount
from nurture.runtime import Runtime
from nurture.web import create_app
from tests.pipeline import Engine, add_lead, messages, withdraw, write_campaign
from tests.smtp_server import SmtpServer
from tests.tracking_support import (
    APPLE_PROXY,
    SAFE_LINKS,
    click_paths,
    count_events,
    engagement,
    pixel_paths,
    tracked_lead,
    visit,
)

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)  # a Monday morning
TARGET = "https://acme.example/downloads/prospect-sheet"

BRANCH = """
id: drip
name: Branch on a click
purpose: newsletter
sender: "Acme News <news@acme.example>"
entry:
  on: consent_confirmed
steps:
  - id: hello
    after: 0m
    subject: "Hello"
    template: welcome/hello.html
  - id: clicked
    after: 1d
    if: {clicked: hello}
    subject: "You clicked"
    template: welcome/five_stages.html
  - id: ignored
    after: 0m
    if: {not_clicked: hello}
    subject: "You did not click"
    template: welcome/trial.html
"""


def start(engine: Engine, **settings: object) -> FixedClock:
    """One fixed clock for the schedule and the wall: delivery and hits on one timeline."""
    rt = engine.rt
    buffer = "redis" if rt.settings.redis_url else "spool"  # each stack's own buffer
    rt.settings = rt.settings.with_overrides(
        tracking_drain_interval=0, tracking_buffer=buffer, **settings
    )
    clock = FixedClock(T0)
    rt.clock = rt.wall_clock = clock
    write_campaign(rt, BRANCH)
    engine.start_worker()
    return clock


def run(engine: Engine, now: datetime) -> None:
    engine.schedule(now)
    engine.drain()


def html_to(smtp_server: SmtpServer, email: str, subject: str = "Hello") -> str:
    for received in smtp_server.messages:
        message = received.parse()
        if received.rcpt_tos == [email] and message["Subject"] == subject:
            assert isinstance(message, EmailMessage)
            body = message.get_body(preferencelist=("html",))
            assert body is not None
            return str(body.get_content())
    raise AssertionError(f"no {subject!r} mail to {email}")


def subjects(smtp_server: SmtpServer, email: str) -> list[str]:
    return [m.parse()["Subject"] for m in smtp_server.messages if m.rcpt_tos == [email]]


def engagement_scores(rt: Runtime, *lead_ids: int) -> list[int]:
    with unit_of_work(rt.sessions) as session:
        return [session.get_one(Lead, lead_id).engagement_score for lead_id in lead_ids]


def test_clicks_are_classified_and_only_a_human_click_takes_the_clicked_branch(
    engine: Engine, smtp_server: SmtpServer
) -> None:
    """Ana opens and clicks an hour later; Ben's mail is only touched by machines."""
    clock = start(engine)
    rt = engine.rt
    ana_id = tracked_lead(rt, "ana@example.com", T0 - timedelta(days=1))
    ben_id = tracked_lead(rt, "ben@example.com", T0 - timedelta(days=1))
    cleo_id = tracked_lead(rt, "cleo@example.com", T0 - timedelta(days=1))  # no hits at all
    run(engine, T0)
    client = create_app(rt).test_client()
    ana, ben = html_to(smtp_server, "ana@example.com"), html_to(smtp_server, "ben@example.com")
    assert all(row.tracked for row in messages(rt))

    # Ben's gateway follows every link on arrival; Apple's proxy fetches his images.
    for path in click_paths(ben):
        assert visit(client, path).status_code in (302, 204)
    [ben_pixel] = pixel_paths(ben)
    assert visit(client, ben_pixel, agent=APPLE_PROXY, ip="17.58.101.9").status_code == 200
    clock.advance(timedelta(hours=1))
    assert visit(client, click_paths(ben)[0], agent=SAFE_LINKS).status_code == 302

    # Ana reads the mail an hour later and clicks the download.
    [ana_pixel] = pixel_paths(ana)
    assert visit(client, ana_pixel).data.startswith(b"GIF89a")
    download = visit(client, click_paths(ana)[0])
    assert (download.status_code, download.headers["Location"]) == (302, TARGET)

    report = rt.tracking.drainer.drain()
    assert report.failed == []
    recorded = engagement(rt)
    humans = [(kind, cls) for kind, _, cls, _ in recorded if cls == "human"]
    assert humans == [("email_opened", "human"), ("email_clicked", "human")]
    machine = [(kind, cls, reason) for kind, _, cls, reason in recorded if cls != "human"]
    reasons = " | ".join(reason for _, _, reason in machine)
    assert "after delivery" in reasons  # the gateway's clicks at once
    assert "honeypot" in reasons
    assert "Apple Mail Privacy Protection" in reasons
    assert "Microsoft Safe Links" in reasons
    assert ("email_opened", "proxy") in {(kind, cls) for kind, cls, _ in machine}
    assert all(step == "hello" for _, step, _, _ in recorded)

    # The drainer asked scoring to update Ana and Ben; Cleo is the baseline.
    rt.broker.join(SCORE_QUEUE, timeout=30_000)
    engine.worker.join()  # type: ignore[union-attr]
    rt.scorer.update([cleo_id])
    ana_score, ben_score, cleo_score = engagement_scores(rt, ana_id, ben_id, cleo_id)
    assert ben_score == cleo_score < ana_score

    run(engine, T0 + timedelta(days=1, hours=2))
    assert subjects(smtp_server, "ana@example.com") == ["Hello", "You clicked"]
    assert subjects(smtp_server, "ben@example.com") == ["Hello", "You did not click"]


def test_a_lead_without_tracking_consent_gets_plain_links_and_no_pixel(
    engine: Engine, smtp_server: SmtpServer
) -> None:
    """No pixel, no rewritten link, no honeypot; the row says it was not tracked."""
    start(engine)
    add_lead(engine.rt, "carla@example.com", T0 - timedelta(days=1))
    run(engine, T0)
    html = html_to(smtp_server, "carla@example.com")
    assert pixel_paths(html) == []
    assert click_paths(html) == []
    assert f'href="{TARGET}"' in html
    assert "/o/" not in html
    assert "/c/" not in html
    assert [row.tracked for row in messages(engine.rt)] == [False]


def test_withdrawing_tracking_applies_to_the_next_mail_and_to_old_links(
    engine: Engine, smtp_server: SmtpServer
) -> None:
    """After withdrawal the next mail is plain, and clicks in the older one record nothing
    about the person (the redirect still works)."""
    clock = start(engine)
    rt = engine.rt
    lead = tracked_lead(rt, "dora@example.com", T0 - timedelta(days=1))
    run(engine, T0)
    old_link = click_paths(html_to(smtp_server, "dora@example.com"))[0]
    withdraw(rt, lead, "tracking", T0 + timedelta(hours=1))
    clock.advance(timedelta(hours=2))
    client = create_app(rt).test_client()
    assert visit(client, old_link).headers["Location"] == TARGET
    report = rt.tracking.drainer.drain()
    assert (report.recorded.events, report.recorded.dropped) == (0, 1)

    run(engine, T0 + timedelta(days=1, hours=2))
    later = html_to(smtp_server, "dora@example.com", "You did not click")
    assert pixel_paths(later) == []
    assert click_paths(later) == []
    assert [row.tracked for row in messages(rt)] == [True, False]


def test_aggregate_tracking_counts_without_a_person(
    engine: Engine, smtp_server: SmtpServer
) -> None:
    """With NURTURE_AGGREGATE_TRACKING, an untracked lead's mail carries links and a pixel
    naming only campaign and step; hits become counts, never events."""
    clock = start(engine, aggregate_tracking=True)
    rt = engine.rt
    add_lead(rt, "eva@example.com", T0 - timedelta(days=1))
    run(engine, T0)
    html = html_to(smtp_server, "eva@example.com")
    [row] = messages(rt)
    assert not row.tracked
    assert row.public_id not in html
    [pixel] = pixel_paths(html)
    token = click_paths(html)[0].rsplit("/", 1)[1]
    assert rt.tokens.verify("click", token)[:3] == ["a", "drip", "hello"]
    assert "honeypot" not in html
    assert len(click_paths(html)) == len(set(click_paths(html)))

    clock.advance(timedelta(hours=1))
    client = create_app(rt).test_client()
    visit(client, pixel)
    visit(client, pixel, agent=APPLE_PROXY)
    visit(client, click_paths(html)[0])
    rt.tracking.drainer.drain()
    assert count_events(rt, "email_opened", "email_clicked") == 0
    with unit_of_work(rt.sessions) as session:
        counts = session.execute(
            select(TrackingCount.type, TrackingCount.classification, TrackingCount.count)
        ).all()
    assert sorted(counts) == [
        ("email_clicked", "human", 1),
        ("email_opened", "human", 1),
        ("email_opened", "proxy", 1),
    ]


@pytest.mark.parametrize("count_machines", [False, True])
def test_machine_engagement_counts_only_when_configured(
    engine: Engine, smtp_server: SmtpServer, count_machines: bool
) -> None:
    """NURTURE_COUNT_MACHINE_ENGAGEMENT lets a scanner's click satisfy `clicked:`."""
    clock = start(engine, count_machine_engagement=count_machines)
    rt = engine.rt
    tracked_lead(rt, "fede@example.com", T0 - timedelta(days=1))
    run(engine, T0)
    client = create_app(rt).test_client()
    clock.advance(timedelta(hours=1))
    visit(client, click_paths(html_to(smtp_server, "fede@example.com"))[0], agent=SAFE_LINKS)
    run(engine, T0 + timedelta(days=1, hours=2))  # the pass drains the buffer first
    second = "You clicked" if count_machines else "You did not click"
    assert subjects(smtp_server, "fede@example.com") == ["Hello", second]
