"""`nurture worker` as operators run it: a separate process, Redis, a real SMTP server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests import services
from tests.conftest import TEST_KEYS, RuntimeFactory
from tests.pipeline import THREE_STEPS, Engine, add_lead, messages, write_campaign
from tests.smtp_server import SmtpServer

NURTURE = str(Path(sys.executable).with_name("nurture"))
MONDAY = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)


def test_worker_processes_send_what_the_scheduler_queued(
    make_runtime: RuntimeFactory, pg_url: str, redis_namespace: str, smtp_server: SmtpServer
) -> None:
    """Queued by one process, sent by `nurture worker` in others (fresh interpreters)."""
    rt = make_runtime(
        pg_url,
        smtp_url=smtp_server.url,
        redis_url=services.REDIS_URL,
        redis_namespace=redis_namespace,
    )
    write_campaign(rt, THREE_STEPS)
    for number in range(30):
        add_lead(rt, f"lead{number}@example.com", MONDAY - timedelta(days=1))
    Engine(rt).schedule(MONDAY)
    s = rt.settings
    env = {
        **os.environ,
        "NURTURE_DATABASE_URL": pg_url,
        "NURTURE_REDIS_URL": services.REDIS_URL,
        "NURTURE_REDIS_NAMESPACE": redis_namespace,
        "NURTURE_SMTP_URL": smtp_server.url,
        "NURTURE_SECRET_KEYS": ",".join(TEST_KEYS),
        "NURTURE_SUPPRESSION_KEY": s.suppression_key,
        "NURTURE_POSTAL_ADDRESS": s.postal_address or "",
        "NURTURE_CAMPAIGNS_DIR": str(s.campaigns_dir),
        "NURTURE_TEMPLATES_DIR": str(s.templates_dir),
        "NURTURE_BASE_URL": s.base_url,
        "NURTURE_INSTANCE_DIR": str(s.instance_dir),
    }
    worker = subprocess.Popen(
        [NURTURE, "worker", "--processes", "1", "--threads", "4"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        smtp_server.wait_for(30, timeout=60)
        deadline = time.monotonic() + 30
        while {row.status for row in messages(rt)} != {"sent"}:
            assert time.monotonic() < deadline, {row.status for row in messages(rt)}
            time.sleep(0.1)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        output = worker.communicate(timeout=30)[0].decode()
    assert "Traceback" not in output, output
    assert len(smtp_server.messages) == 30
