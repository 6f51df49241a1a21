"""Tokens never reach access logs: werkzeug (`nurture web`, `nurture demo`) and gunicorn."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from nurture.migrate import upgrade
from tests.browser import serve
from tests.conftest import REPO, TEST_KEYS, RuntimeFactory
from tests.prospects import consented, make_site
from tests.smtp_server import free_port


def test_werkzeug_access_log_is_redacted(
    make_runtime: RuntimeFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The development server's request lines show `[token]` instead of the token."""
    caplog.set_level(logging.INFO, logger="werkzeug")
    template = tmp_path / "web.db"
    upgrade(f"sqlite:///{template}")
    rt = make_runtime(f"sqlite:///{template}")
    server = serve(rt)
    try:
        lead = consented(make_site(rt))
        token = rt.tokens.sign("preferences", lead.public_id)
        with urllib.request.urlopen(f"{server.url}/p/{token}") as answer:
            assert answer.status == 200
        time.sleep(0.2)  # the request line is logged after the response is sent
    finally:
        server.stop()
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("/p/[token]" in line for line in lines), lines
    assert not any(token in line for line in lines)
    assert not any(lead.public_id in line for line in lines)


def test_gunicorn_access_log_is_redacted(tmp_path: Path) -> None:
    """`gunicorn wsgi:app` with the shipped gunicorn.conf.py writes redacted lines."""
    url = f"sqlite:///{tmp_path / 'g.db'}"
    upgrade(url)
    port = free_port()
    env = {
        **os.environ,
        "NURTURE_DATABASE_URL": url,
        "NURTURE_SECRET_KEYS": ",".join(TEST_KEYS),
        "NURTURE_SUPPRESSION_KEY": "gunicorn-test",
        "NURTURE_CAMPAIGNS_DIR": str(REPO / "campaigns"),
        "NURTURE_TEMPLATES_DIR": str(REPO / "templates"),
        "NURTURE_INSTANCE_DIR": str(tmp_path / "instance"),
    }
    env.pop("NURTURE_REDIS_URL", None)
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    log = tmp_path / "access.log"
    process = subprocess.Popen(
        [
            gunicorn,
            "-c",
            str(REPO / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(log),
            "--workers",
            "1",
            "wsgi:app",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    token = "eyJsZWFkIjoicHVibGljLWlkLTEyMyJ9.Zz1abc.aGVsbG8td29ybGQtc2lnbmF0dXJlLXRlc3Q"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/p/{token}")
            except urllib.error.HTTPError as refused:  # 400: the token is signed by nobody
                status = refused.code
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        time.sleep(0.5)
        assert status == 400
    finally:
        process.terminate()
        process.wait(10)
    written = log.read_text()
    assert "/p/[token]" in written
    assert token not in written
