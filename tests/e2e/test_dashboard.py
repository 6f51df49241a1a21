"""The dashboard in headless Chromium: sign in, read a funnel chart, open a lead's
timeline; hostile names and user agents are shown as text and never run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Dialog, Page, expect

from tests import services
from tests.admin_support import (
    AGENT,
    BOUNCE,
    CAMPAIGN_NAME,
    PASSWORD,
    SCRIPT,
    TAG,
    XSS_EMAIL,
    hostile_history,
)
from tests.browser import LiveServer, serve
from tests.conftest import RuntimeFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def server(
    make_runtime: RuntimeFactory, sqlite_template: services.SqliteTemplate, tmp_path: Path
) -> Iterator[LiveServer]:
    rt = make_runtime(sqlite_template.fresh(tmp_path), admin_password=PASSWORD)
    live = serve(rt)  # http://127.0.0.1: the development exception, no Secure cookie
    hostile_history(rt)
    yield live
    live.stop()


@pytest.fixture
def watched(page: Page) -> Iterator[tuple[Page, list[str]]]:
    """The page, and every dialog (alert, confirm…) or CSP violation it produced."""
    incidents: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        incidents.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            incidents.append(f"csp: {message.text}")

    page.on("dialog", on_dialog)
    page.on("console", on_console)
    yield page, incidents
    assert incidents == []


def sign_in(page: Page, server: LiveServer, path: str) -> None:
    page.goto(f"{server.url}{path}")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_funnel_chart_and_lead_timeline(
    server: LiveServer, watched: tuple[Page, list[str]]
) -> None:
    """The chart's bars carry the report's figures on one scale; the lead's timeline
    shows the hostile user agent as text; nothing hostile runs anywhere."""
    page, _ = watched
    sign_in(page, server, "/admin/campaigns/drip")
    expect(page).to_have_url(f"{server.url}/admin/campaigns/drip")
    chart = page.get_by_role("img", name="Funnel of Drip test, per step")
    expect(chart).to_be_visible()

    def bar(step: str, measure: str) -> float:
        group = chart.locator(f'g[data-step="{step}"][data-measure="{measure}"]')
        value = group.locator("text.value").text_content()
        box = group.locator("rect").bounding_box()
        assert value is not None
        assert box is not None
        return float(value) if box["width"] else 0.0

    figures = {m: bar("one", m) for m in ("sent", "opened", "opened_machines", "clicked")}
    assert figures == {"sent": 4, "opened": 2, "opened_machines": 1, "clicked": 1}
    widths = {
        m: chart.locator(f'g[data-step="one"][data-measure="{m}"] rect').bounding_box()
        for m in ("sent", "opened", "clicked")
    }
    sent, opened, clicked = (w["width"] if w else 0 for w in widths.values())
    assert sent == pytest.approx(2 * opened, rel=0.02)
    assert opened == pytest.approx(2 * clicked, rel=0.02)
    expect(page.get_by_role("table").filter(has_text="All steps")).to_be_visible()

    page.get_by_role("link", name="Leads", exact=True).click()
    page.get_by_label("Search: email, name or company").fill(XSS_EMAIL)
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("cell", name=SCRIPT, exact=True).first).to_be_visible()
    expect(page.get_by_text(TAG, exact=True)).to_be_visible()
    page.get_by_role("link", name=XSS_EMAIL).click()

    expect(page.get_by_role("heading", name=XSS_EMAIL)).to_be_visible()
    timeline = page.locator("table.timeline")
    expect(timeline).to_contain_text(AGENT)
    expect(timeline.get_by_text("proxy", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name=SCRIPT, exact=True).first).to_be_visible()
    assert page.locator("img").count() == 0  # the user agent's <img> was never parsed
    assert page.locator("script").count() == 0


def test_hostile_campaign_name_preview_and_outbox(
    server: LiveServer, watched: tuple[Page, list[str]]
) -> None:
    """A campaign name closing </title>, a lead's preview in its sandbox, and bounce
    text with markup all stay text."""
    page, _ = watched
    sign_in(page, server, "/admin/")
    page.get_by_role("link", name=CAMPAIGN_NAME).click()
    assert page.title() == f"{CAMPAIGN_NAME} · nurture dashboard"
    expect(page.get_by_role("heading", level=1)).to_have_text(CAMPAIGN_NAME)

    page.goto(f"{server.url}/admin/campaigns/spring/steps/hello")
    page.get_by_label("Preview for a lead").fill(XSS_EMAIL)
    page.get_by_role("button", name="Show").click()
    mail = page.frame_locator("iframe.preview")
    expect(mail.get_by_text(f"Hi {SCRIPT}")).to_be_visible()
    expect(page.locator("pre.mail-text")).to_contain_text(SCRIPT)

    page.get_by_role("link", name="Outbox").click()
    expect(page.get_by_text(BOUNCE, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Resend").first).to_be_visible()
    assert page.locator("b, script").count() == 0
