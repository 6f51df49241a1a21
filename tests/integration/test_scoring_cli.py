"""`nurture events add`, `leads show`, `scores recompute` and `sales …` as users run them."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from nurture.config import Settings
from nurture.migrate import upgrade
from nurture.runtime import Runtime
from tests.conftest import REPO, TEST_KEYS
from tests.handoff_support import write_rules
from tests.pipeline import add_lead

NURTURE = str(Path(sys.executable).with_name("nurture"))


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A project folder on SQLite with the embedded broker, one lead, pull hand-off."""
    url = f"sqlite:///{tmp_path / 'nurture.db'}"
    upgrade(url)
    rt = Runtime(Settings(database_url=url, campaigns_dir=tmp_path / "campaigns"))
    write_rules(rt, mode="pull")
    add_lead(rt, "ana@example.com", datetime(2026, 5, 1, tzinfo=UTC), country="ES")
    rt.close()
    return tmp_path


def run(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "NURTURE_DATABASE_URL": f"sqlite:///{workdir / 'nurture.db'}",
        "NURTURE_SECRET_KEYS": ",".join(TEST_KEYS),
        "NURTURE_SUPPRESSION_KEY": "cli-test-key",
        "NURTURE_TEMPLATES_DIR": str(REPO / "templates"),
        "NURTURE_POSTAL_ADDRESS": "Acme Ltd, Calle Mayor 1, Madrid",
    }
    for name in ("NURTURE_REDIS_URL", "NURTURE_SMTP_URL"):
        env.pop(name, None)
    return subprocess.run(
        [NURTURE, *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def ok(workdir: Path, *args: str) -> str:
    done = run(workdir, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_events_score_and_sales_from_the_command_line(workdir: Path) -> None:
    """Three replies make the lead hot and pooled; claim, then reject sends it back."""
    for _ in range(3):
        ok(workdir, "events", "add", "ana@example.com", "email_replied")
    shown = ok(workdir, "leads", "show", "ana@example.com")
    assert "score 70 = fit 10 + engagement 60 (kept within 0-100) · hot · sql" in shown
    assert "+10 iberia: profile matches (country: ES)" in shown
    assert shown.count("+20 reply: email_replied on") == 3
    assert "hand-off " in shown
    assert ": pooled" in shown
    assert "ana@example.com" in ok(workdir, "sales", "pool")
    assert "is ana's now" in ok(workdir, "sales", "claim", "ana@example.com", "--rep", "ana")
    assert "open 1/∞" in ok(workdir, "sales", "reps")
    ok(workdir, "sales", "reject", "ana@example.com", "--reason", "not_ready")
    shown = ok(workdir, "leads", "show", "ana@example.com")
    assert "· warm · mql" in shown
    assert "-30 rejected: sales_rejected on" in shown
    assert "recomputed 1 leads" in ok(workdir, "scores", "recompute")


def test_mistakes_exit_1_with_a_clear_message(workdir: Path) -> None:
    """Unknown lead, nothing to claim, a broken scoring.yaml: one line each, exit 1."""
    missing = run(workdir, "leads", "show", "nobody@example.com")
    assert (missing.returncode, missing.stderr.strip()) == (
        1,
        "error: no lead with the address 'nobody@example.com'",
    )
    nothing = run(workdir, "sales", "claim", "ana@example.com", "--rep", "ana")
    assert (nothing.returncode, nothing.stderr.strip()) == (
        1,
        "error: no open hand-off for 'ana@example.com'",
    )
    scoring = workdir / "campaigns/scoring.yaml"
    scoring.write_text(scoring.read_text().replace("points: 20", "points: lots"))
    validate = run(workdir, "campaigns", "validate")
    assert validate.returncode == 1
    assert f"{scoring}:3: behaviour[0].points" in validate.stdout
    recompute = run(workdir, "scores", "recompute")
    assert recompute.returncode == 1
    assert "scoring.yaml is invalid" in recompute.stderr
