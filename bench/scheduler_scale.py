"""A scheduler pass over 1,000,000 active enrolments of which 10,000 are due.

    .venv/bin/python -m bench.scheduler_scale [--active 1000000 --due 10000]

Targets (issue 2): under 5 s and under 500 MB, the due query served by an index. The
pass runs in a child process so that its peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from bench.common import fresh_database, nurture_env, psycopg_url, redis_namespace
from bench.dataset import project_folder
from nurture.campaigns.registry import load_campaigns
from nurture.config import load_settings
from nurture.runtime import Runtime


def populate(conninfo: str, version: str, active: int, due: int) -> None:
    with psycopg.connect(conninfo) as conn:
        conn.execute(
            """
            INSERT INTO leads (public_id, email, first_name, attributes, tags, lifecycle_stage,
                score, fit_score, engagement_score, temperature, profiling_objected,
                created_at, updated_at)
            SELECT 'p' || substr(md5(i::text), 1, 24), 'lead' || i || '@example.com', 'Lead',
                '{}', '[]', 'lead', 0, 0, 0, 'cold', false, now(), now()
            FROM generate_series(1, %s) AS i
            """,
            (active,),
        )
        conn.execute(
            """
            INSERT INTO consent_states (lead_id, purpose, status, basis, record_id, updated_at)
            SELECT id, 'newsletter', 'given', 'consent', 0, now() FROM leads
            """
        )
        conn.execute(
            """
            INSERT INTO enrolments (public_id, lead_id, campaign_id, campaign_version, status,
                steps_done, next_run_at, enrolled_at, updated_at)
            SELECT 'e' || substr(md5(id::text), 1, 24), id, 'bench', %s, 'active', '[]',
                CASE WHEN id <= %s THEN now() - interval '1 minute'
                     ELSE now() + interval '1 day' * (1 + id %% 30) END,
                now() - interval '1 hour', now()
            FROM leads
            """,
            (version, due),
        )
        conn.execute(
            """
            INSERT INTO campaign_states (campaign_id, version, step_ids, entry_cursor, paused,
                consecutive_failures, updated_at)
            VALUES ('bench', %s, '["hello"]', 0, false, 0, now())
            """,
            (version,),
        )
        conn.execute("ANALYZE")


def explain_due(conninfo: str) -> str:
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            """
            EXPLAIN SELECT id FROM enrolments
            WHERE status = 'active' AND next_run_at <= now() AND campaign_id IN ('bench')
            ORDER BY next_run_at LIMIT 1000 FOR UPDATE SKIP LOCKED
            """
        ).fetchall()
    return "\n".join(row[0] for row in rows)


def one_pass(env_json: str, workdir: str) -> None:
    """Child process: one pass; prints seconds, queued and peak RSS as JSON."""
    env = json.loads(env_json)
    rt = Runtime(load_settings(env, cwd=Path(workdir)))
    rt.actors.enqueue([])  # connect to Redis before the clock starts
    started = time.monotonic()
    report = rt.scheduler_pass().run(rt.campaigns(), rt.clock.now())
    elapsed = time.monotonic() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": elapsed, "queued": report.queued, "peak_mib": peak_mib}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--active", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        one_pass(*args.child)
        return
    with (
        fresh_database("scale") as db_url,
        redis_namespace("scale") as namespace,
        tempfile.TemporaryDirectory() as tmp,
    ):
        workdir = project_folder(Path(tmp))
        env = nurture_env(db_url, namespace, "smtp://127.0.0.1:1", workdir)
        version = load_campaigns(workdir / "campaigns").campaigns["bench"].version
        started = time.monotonic()
        populate(psycopg_url(db_url), version, args.active, args.due)
        print(f"populated {args.active} active enrolments in {time.monotonic() - started:.0f} s")
        print("due query plan:\n" + explain_due(psycopg_url(db_url)))
        child = subprocess.run(
            [sys.executable, "-m", "bench.scheduler_scale", "--child", json.dumps(env), tmp],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(child.stdout.strip().splitlines()[-1])
        print(
            f"pass over {args.active} active / {args.due} due: {result['seconds']:.2f} s, "
            f"queued {result['queued']}, peak {result['peak_mib']:.0f} MiB "
            f"(targets: < 5 s, < 500 MB)"
        )


if __name__ == "__main__":
    main()
