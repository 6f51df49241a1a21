"""Bulk fixtures for benchmarks, written with SQL (building them row by row would take
longer than the thing measured)."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg

from bench.common import REPO

ONE_STEP = """
id: bench
name: Benchmark
purpose: newsletter
sender: "Acme News <news@acme.example>"
entry:
  on: consent_confirmed
steps:
  - id: hello
    after: 0m
    subject: "Welcome, {{ lead.first_name or 'there' }}"
    template: welcome/hello.html
"""


def project_folder(workdir: Path, campaign: str = ONE_STEP) -> Path:
    (workdir / "campaigns").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO / "campaigns/purposes.yaml", workdir / "campaigns/purposes.yaml")
    (workdir / "campaigns/bench.yaml").write_text(campaign)
    if not (workdir / "templates").exists():
        shutil.copytree(REPO / "templates", workdir / "templates")
    return workdir


def consented_leads(conninfo: str, count: int, purpose: str = "newsletter") -> None:
    """`count` leads who confirmed `purpose` an hour ago (ledger, state and entry event)."""
    with psycopg.connect(conninfo) as conn:
        conn.execute(
            """
            INSERT INTO leads (public_id, email, first_name, last_name, timezone, attributes,
                tags, lifecycle_stage, score, fit_score, engagement_score, temperature,
                profiling_objected, created_at, updated_at)
            SELECT 'p' || substr(md5(i::text), 1, 24), 'lead' || i || '@example.com', 'Lead',
                'Number ' || i, 'Europe/Madrid', '{}', '[]', 'lead', 0, 0, 0, 'cold', false,
                now(), now()
            FROM generate_series(1, %s) AS i
            """,
            (count,),
        )
        conn.execute(
            """
            INSERT INTO consent_records (lead_id, purpose, action, basis, source, proof, created_at)
            SELECT id, %s, 'granted', 'consent', 'import', 'benchmark', now() - interval '2 hours'
            FROM leads
            """,
            (purpose,),
        )
        conn.execute(
            """
            INSERT INTO consent_states (lead_id, purpose, status, basis, record_id, updated_at)
            SELECT lead_id, purpose, 'given', 'consent', id, now() FROM consent_records
            """
        )
        conn.execute(
            """
            INSERT INTO events (lead_id, type, occurred_at, source, data, created_at)
            SELECT id, 'consent_confirmed', now() - interval '1 hour', 'form', '{}', now()
            FROM leads
            """
        )


def enrolled(conninfo: str, campaign_id: str, version: str) -> None:
    """Every lead enrolled in the campaign and due now; the entry events consumed."""
    with psycopg.connect(conninfo) as conn:
        conn.execute(
            """
            INSERT INTO enrolments (public_id, lead_id, campaign_id, campaign_version, status,
                steps_done, next_run_at, enrolled_at, updated_at)
            SELECT 'e' || substr(md5(id::text), 1, 24), id, %(campaign)s, %(version)s,
                'active', '[]', now() - interval '1 minute', now() - interval '1 minute', now()
            FROM leads
            """,
            {"campaign": campaign_id, "version": version},
        )
        conn.execute(
            """
            INSERT INTO campaign_states (campaign_id, version, step_ids, entry_cursor, paused,
                consecutive_failures, updated_at)
            SELECT %(campaign)s, %(version)s, '["hello"]', coalesce(max(id), 0), false, 0, now()
            FROM events
            """,
            {"campaign": campaign_id, "version": version},
        )
        conn.execute("ANALYZE")
