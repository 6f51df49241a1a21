"""A prospect's whole journey in headless Chromium, with real mail and a real worker."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from nurture.consent.suppression import suppression_reason
from nurture.db import unit_of_work
from tests import services
from tests.browser import LiveServer, serve
from tests.conftest import RuntimeFactory
from tests.pipeline import Engine, write_campaign
from tests.prospects import NO_WINDOW
from tests.smtp_server import SmtpServer

EMAIL = "lucia.journey@example.com"
pytestmark = pytest.mark.browser


@pytest.fixture
def stack(
    make_runtime: RuntimeFactory,
    sqlite_template: services.SqliteTemplate,
    tmp_path: Path,
    smtp_server: SmtpServer,
) -> Iterator[tuple[Engine, LiveServer]]:
    """One runtime: served over HTTP, scheduled and sent by a worker in this process."""
    rt = make_runtime(sqlite_template.fresh(tmp_path), smtp_url=smtp_server.url)
    write_campaign(rt, NO_WINDOW)
    server = serve(rt)  # before anything mints links: they must point at the live server
    engine = Engine(rt)
    engine.start_worker()
    yield engine, server
    engine.stop()
    server.stop()


def link(mail: EmailMessage, path: str) -> str:
    text = mail.get_body(preferencelist=("plain",))
    assert text is not None
    found = re.search(rf"(http://127\.0\.0\.1:\d+{path}[^\s]+)", text.get_content())
    assert found, f"no {path} link in the mail"
    return found.group(1)


def subscribe(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.url}/subscribe")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("First name (optional)").fill("Lucía")
    page.get_by_label("Newsletter").check()
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()


def test_subscribe_confirm_receive_change_export_erase(
    stack: tuple[Engine, LiveServer], smtp_server: SmtpServer, page: Page, tmp_path: Path
) -> None:
    """Sign up, confirm from the mail, get step one, change purposes, export, erase."""
    engine, server = stack
    subscribe(page, server)
    engine.drain()
    [confirmation] = [m.parse() for m in smtp_server.wait_for(1)]
    assert confirmation["Auto-Submitted"] == "auto-generated"
    assert confirmation["List-Unsubscribe"] is None

    page.goto(link(confirmation, "/confirm/"))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="You are subscribed")).to_be_visible()

    engine.schedule(engine.rt.clock.now())
    engine.drain()
    welcome = smtp_server.wait_for(2)[1].parse()
    assert welcome["Subject"] == "Hello Lucía"
    assert welcome["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    page.goto(link(welcome, "/p/"))
    page.get_by_label("Product news").check()
    page.get_by_label("Newsletter").uncheck()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_text("Your preferences are saved.")).to_be_visible()

    page.get_by_role("link", name="See, correct, download or erase your data").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download as JSON").click()
    exported = json.loads(Path(download.value.path()).read_text())
    assert exported["lead"]["email"] == EMAIL
    assert exported["consent_now"] == {"newsletter": "withdrawn", "product_updates": "given"}

    page.get_by_role("link", name="Erase your data").click()
    page.get_by_label("I understand that this cannot be undone").check()
    page.get_by_role("button", name="Erase my data").click()
    expect(page.get_by_role("heading", name="Your data is erased")).to_be_visible()
    with unit_of_work(engine.rt.sessions) as session:
        key = engine.rt.settings.suppression_key
        assert suppression_reason(session, key, EMAIL) == "erased"

    subscribe(page, server)  # the same answer as ever, and no mail
    engine.drain()
    assert len(smtp_server.messages) == 2
