"""A live server and Debian's headless Chromium, driven by Playwright, for e2e tests.

Playwright drives the system browser (/usr/bin/chromium, installed by
.ci/ensure-services); it never downloads one. The flags keep Chromium off the network
it cannot reach here.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import BaseWSGIServer, make_server

from nurture.runtime import Runtime
from nurture.web import create_app
from tests.smtp_server import free_port

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class LiveServer:
    """The Flask app of a runtime, served on a free port in a background thread."""

    rt: Runtime
    port: int
    server: BaseWSGIServer

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()


def serve(rt: Runtime) -> LiveServer:
    """Start serving; links in mails must point here, so set base_url to the live URL."""
    port = free_port()
    rt.settings = rt.settings.with_overrides(base_url=f"http://127.0.0.1:{port}")
    server = make_server("127.0.0.1", port, create_app(rt), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return LiveServer(rt, port, server)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB")
    yield context.new_page()
    context.close()
