"""`nurture report` over 1,000,000 events (issue 5's benchmark: under 2 s).

    .venv/bin/python -m bench.report [--events 1000000]

Builds, with SQL on a fresh PostgreSQL database, the history of the three example
campaigns: 100,000 leads (sources, stages, temperatures), a message per lead and step,
and `events` filled up to the requested total — sends, opens (a third of them by
mail-privacy proxies, several per message), clicks, unsubscribes, bounces, conversions,
and the lead and consent events every lead has. Then times the report service for all
campaigns and for one, and `nurture report --json` end to end (process start included).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from bench.common import REPO, fresh_database, psycopg_url
from nurture.campaigns.registry import load_campaigns
from nurture.config import Settings
from nurture.reports.service import build_report
from nurture.runtime import Runtime

LEADS = 100_000
EVENTS = (
    "INSERT INTO events (lead_id, type, occurred_at, campaign_id, step_id, message_id, "
    "classification, source, data, created_at) "
    "SELECT lead_id, 'email_sent', sent_at, campaign_id, step_id, id, NULL, 'system', "
    "'{}', now() FROM messages WHERE status = 'sent'",
    "INSERT INTO events (lead_id, type, occurred_at, campaign_id, step_id, message_id, "
    "classification, source, data, created_at) "
    "SELECT lead_id, 'email_bounced', now(), campaign_id, step_id, id, NULL, "
    "'system', '{}', now() FROM messages WHERE status = 'failed'",
    "INSERT INTO events (lead_id, type, occurred_at, campaign_id, step_id, message_id, "
    "classification, source, data, created_at) "
    "SELECT id, 'lead_created', now() - interval '30 days', NULL, NULL, NULL, NULL, "
    "'import', '{}', now() FROM leads",
    "INSERT INTO events (lead_id, type, occurred_at, campaign_id, step_id, message_id, "
    "classification, source, data, created_at) "
    "SELECT id, 'converted', now() - interval '1 day', NULL, NULL, NULL, NULL, 'api', "
    "'{}', now() FROM leads WHERE id % 23 = 0",
    "INSERT INTO events (lead_id, type, occurred_at, campaign_id, step_id, message_id, "
    "classification, source, data, created_at) "
    "SELECT lead_id, 'unsubscribed', now() - interval '5 days', campaign_id, NULL, "
    "NULL, NULL, 'link', '{}', now() FROM messages WHERE id % 211 = 0",
)
# The rest are opens and clicks: several per message, a third by proxies.
OPENS_AND_CLICKS = (
    "INSERT INTO events (lead_id, type, occurred_at, campaign_id, step_id, message_id, "
    "classification, source, data, created_at) "
    "SELECT m.lead_id, CASE WHEN g = 4 THEN 'email_clicked' ELSE 'email_opened' END, "
    "m.sent_at + (g || ' minutes')::interval, m.campaign_id, m.step_id, m.id, "
    "CASE WHEN (m.id + g) %% 3 = 0 THEN 'proxy' ELSE 'human' END, 'tracking', '{}', now() "
    "FROM messages AS m, generate_series(1, 4) AS g WHERE m.status = 'sent' "
    # Messages in a scattered order, each with its three opens and a click: without the
    # explicit order the planner may put the series outside and stop after g = 1.
    "ORDER BY md5(m.id::text), g LIMIT %s"
)


def fill(conninfo: str, steps: list[tuple[str, str]], events: int) -> None:
    """Leads, messages and events, in proportions seen in real campaigns."""
    with psycopg.connect(conninfo) as conn:
        conn.execute(
            """
            INSERT INTO leads (public_id, email, source, lifecycle_stage, temperature, score,
                fit_score, engagement_score, attributes, tags, profiling_objected,
                created_at, updated_at)
            SELECT 'p' || i, 'lead' || i || '@example.com',
                (ARRAY['web', 'import', 'webinar', 'fair', 'api'])[1 + i %% 5],
                (ARRAY['lead', 'lead', 'mql', 'sql', 'customer'])[1 + i %% 5],
                (ARRAY['cold', 'cold', 'warm', 'hot'])[1 + i %% 4], i %% 100, 0, 0, '{}', '[]',
                false, now(), now()
            FROM generate_series(1, %s) AS i
            """,
            (LEADS,),
        )
        for campaign_id, step_id in steps:
            conn.execute(
                """
                INSERT INTO messages (public_id, lead_id, campaign_id, step_id, kind, purpose,
                    context, status, attempts, tracked, scheduled_for, created_at, sent_at,
                    updated_at)
                SELECT md5(random()::text), id, %s, %s, 'marketing', 'newsletter', '{}',
                    CASE WHEN id %% 97 = 0 THEN 'failed' ELSE 'sent' END, 1, true,
                    now(), now(), now() - interval '10 days', now()
                FROM leads WHERE id %% 3 <> 0
                """,
                (campaign_id, step_id),
            )
        for statement in EVENTS:
            conn.execute(statement)
        count = conn.execute("SELECT count(*) FROM events").fetchone()
        missing = max(0, events - (count[0] if count else 0))
        conn.execute(OPENS_AND_CLICKS, (missing,))
    # Autovacuum would have run on a live database: hint bits set, visibility map filled.
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    campaigns = load_campaigns(REPO / "campaigns")
    steps = [
        (cid, step) for cid, item in campaigns.campaigns.items() for step in item.campaign.step_ids
    ]
    with fresh_database("report") as url:
        fill(psycopg_url(url), steps, args.events)
        with psycopg.connect(psycopg_url(url)) as conn:
            row = conn.execute("SELECT count(*) FROM events").fetchone()
        print(f"{row[0] if row else 0:,} events, {LEADS:,} leads, {len(steps)} steps")
        rt = Runtime(
            Settings(database_url=url, secret_keys=("k",), campaigns_dir=REPO / "campaigns")
        )
        runs = (
            ("all campaigns", None),
            ("all campaigns, again", None),
            ("one campaign", "welcome"),
        )
        for label, only in runs:
            with rt.sessions() as session:
                started = time.perf_counter()
                report = build_report(session, rt.campaigns(), only)
                seconds = time.perf_counter() - started
            sent = sum(funnel.total.counts["sent"] for funnel in report.campaigns)
            print(f"report service, {label}: {seconds:.2f} s ({sent:,} leads sent to)")
        rt.close()
        with tempfile.TemporaryDirectory() as folder:
            env = {**os.environ, "NURTURE_DATABASE_URL": url, "NURTURE_SECRET_KEYS": "k"}
            env["NURTURE_CAMPAIGNS_DIR"] = str(REPO / "campaigns")
            env["NURTURE_INSTANCE_DIR"] = str(Path(folder) / "instance")
            nurture = str(Path(sys.executable).with_name("nurture"))
            started = time.perf_counter()
            subprocess.run(
                [nurture, "report", "--json"], env=env, check=True, stdout=subprocess.DEVNULL
            )
            print(f"`nurture report --json` end to end: {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
