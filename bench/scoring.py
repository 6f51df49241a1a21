"""`nurture scores recompute` at scale: 100,000 leads and 2,000,000 events on PostgreSQL.

    .venv/bin/python -m bench.scoring [--leads 100000] [--events 2000000] [--batch 10000]

Builds a throw-away database with SQL (profiles that match the shipped fit rules in
part, events of every type the shipped rules read and more, spread over six months,
opens and clicks partly by machines), then times `recompute_all` with the shipped
`campaigns/scoring.yaml` twice: a first run (every lead changes: stages, temperatures,
hand-offs are created) and a second one (steady state, nothing changes but the ledger).
Finally checks a sample of stored scores against the pure function, lead by lead.
Target: under 60 s.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime

import psycopg
from sqlalchemy import func, select

from bench.common import fresh_database, psycopg_url
from nurture.db import make_engine, make_session_factory, unit_of_work
from nurture.models import Event, Handoff, Lead, ScoreLedger
from nurture.scoring.compute import score
from nurture.scoring.facts import load_events, load_leads
from nurture.scoring.loader import DEFAULT_RULES, read_scoring
from nurture.scoring.recompute import recompute_all

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)

LEADS_SQL = """
INSERT INTO leads (public_id, email, first_name, job_title, company_size, industry, country,
    attributes, tags, lifecycle_stage, score, fit_score, engagement_score, temperature,
    profiling_objected, created_at, updated_at)
SELECT 'p' || substr(md5(i::text), 1, 24), 'lead' || i || '@example.com', 'Lead',
    (ARRAY['Head of Marketing', 'Marketing Manager', 'CTO', 'Student', 'Sales Director',
           'Analyst', NULL])[1 + i %% 7],
    (ARRAY['1-10', '11-50', '51-200', '201-1000', '1000+', NULL])[1 + i %% 6],
    (ARRAY['Software', 'Retail', 'SaaS', 'Education', 'Fintech', NULL])[1 + (i / 7) %% 6],
    (ARRAY['ES', 'FR', 'US', 'DE', 'MX', 'GB', NULL])[1 + (i / 3) %% 7],
    CASE WHEN i %% 5 = 0 THEN jsonb_build_object('budget', (i %% 20) * 1000)::json
         ELSE '{}'::json END,
    '[]', 'lead', 0, 0, 0, 'cold', i %% 97 = 0, now(), now()
FROM generate_series(1, %(leads)s) AS i
"""

# One row per event: a type by weighted draw, the data the rules look at, a time in the
# last 180 days, and a classification for opens and clicks (a third are machines).
EVENTS_SQL = """
INSERT INTO events (lead_id, type, occurred_at, campaign_id, step_id, classification, source,
    data, created_at)
SELECT 1 + (hashint %% %(leads)s), kind, %(now)s - (random() * interval '180 days'),
    'drip', 'hello',
    CASE WHEN kind IN ('email_opened', 'email_clicked')
         THEN (ARRAY['human', 'human', 'proxy', 'scanner'])[1 + (i %% 4)] END,
    'system',
    CASE kind
      WHEN 'email_clicked' THEN json_build_object('url', (ARRAY['https://acme.example/pricing',
           'https://acme.example/blog/x', 'https://acme.example/case'])[1 + i %% 3])
      WHEN 'page_visited' THEN json_build_object('url', (ARRAY['https://acme.example/pricing',
           'https://acme.example/'])[1 + i %% 2])
      WHEN 'form_submitted' THEN json_build_object('form',
           (ARRAY['demo-request', 'newsletter', 'ebook'])[1 + i %% 3])
      WHEN 'call_completed' THEN json_build_object('minutes', 5 + i %% 40)
      WHEN 'consent_granted' THEN json_build_object('purpose', 'newsletter')
      ELSE '{}'::json END,
    now()
FROM (
    SELECT i, abs(hashtext(i::text)::bigint) AS hashint,
        (ARRAY['email_sent', 'email_sent', 'email_sent', 'email_sent', 'email_sent',
               'email_sent', 'email_sent', 'email_opened', 'email_opened', 'email_opened',
               'email_opened', 'email_opened', 'email_clicked', 'email_clicked', 'page_visited',
               'page_visited', 'consent_granted', 'email_replied', 'form_submitted',
               'call_completed', 'unsubscribed', 'meeting_no_show', 'webinar_attended',
               'lead_created'])[1 + (abs(hashtext('t' || i::text)::bigint) %% 24)] AS kind
    FROM generate_series(1, %(events)s) AS i
) AS drawn
"""


def populate(url: str, leads: int, events: int) -> None:
    with psycopg.connect(psycopg_url(url)) as conn:
        conn.execute("SELECT setseed(0.42)")
        conn.execute(LEADS_SQL, {"leads": leads})
        conn.execute(EVENTS_SQL, {"leads": leads, "events": events, "now": NOW})
        conn.execute("ANALYZE")


def run(url: str, label: str, batch: int) -> float:
    rules, problems = read_scoring(DEFAULT_RULES)
    assert rules is not None, problems
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    started = time.perf_counter()
    outcome = recompute_all(
        sessions, rules, NOW, enqueue_deliveries=lambda ids: None, batch_size=batch
    )
    elapsed = time.perf_counter() - started
    print(
        f"{label}: {outcome.scored:,} leads in {elapsed:.1f} s "
        f"({outcome.scored / elapsed:,.0f} leads/s); "
        f"{outcome.changed:,} changed, {outcome.transitions:,} stage/temperature events, "
        f"{outcome.handed_off:,} hand-offs"
    )
    engine.dispose()
    return elapsed


def check_sample(url: str, size: int = 200) -> None:
    """Stored scores equal the pure function's, lead by lead, for a random sample."""
    rules, _ = read_scoring(DEFAULT_RULES)
    assert rules is not None
    engine = make_engine(url)
    with unit_of_work(make_session_factory(engine)) as session:
        ids = random.Random(7).sample(
            range(1, session.scalar(select(func.max(Lead.id))) or 1), size
        )
        for row in load_leads(session, ids, lock=False):
            events = load_events(session, [row.id], rules, NOW).get(row.id, [])
            again = score(row.facts, events, rules, NOW)
            stored = (row.score, row.fit, row.engagement, row.facts.temperature, row.facts.stage)
            assert stored == (
                again.total,
                again.fit,
                again.engagement,
                again.temperature,
                again.stage,
            ), row.id
        counts = {
            "events": session.scalar(select(func.count(Event.id))),
            "ledgers": session.scalar(select(func.count()).select_from(ScoreLedger)),
            "ledger lines": session.scalar(
                select(func.sum(func.json_array_length(ScoreLedger.lines)))
            ),
            "hand-offs": session.scalar(select(func.count(Handoff.id))),
        }
        stages = dict(
            session.execute(
                select(Lead.lifecycle_stage, func.count()).group_by(Lead.lifecycle_stage)
            ).all()
        )
        temperatures = dict(
            session.execute(select(Lead.temperature, func.count()).group_by(Lead.temperature)).all()
        )
    engine.dispose()
    print(f"sample of {size} leads matches the pure function; {counts}")
    print(f"stages {stages}; temperatures {temperatures}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    args = parser.parse_args()
    with fresh_database("scoring") as url:
        started = time.perf_counter()
        populate(url, args.leads, args.events)
        built = time.perf_counter() - started
        print(f"built {args.leads:,} leads and {args.events:,} events in {built:.1f} s")
        first = run(url, "first recompute", args.batch)
        run(url, "second recompute (nothing changes)", args.batch)
        check_sample(url)
        verdict = "under" if first < 60 else "OVER"
        print(f"target: recompute under 60 s — {verdict} ({first:.1f} s)")


if __name__ == "__main__":
    main()
