"""Every dashboard page on SQLite and PostgreSQL: what it shows, hostile values shown as
text, and its actions (resume, resend)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta

from markupsafe import escape
from sqlalchemy import select

from nurture.clock import FixedClock
from nurture.db import unit_of_work
from nurture.engine.campaign_state import pause_campaign, sync_campaign_states
from nurture.models import AuditEntry, CampaignState, Lead, Message
from tests.admin_support import (
    AGENT,
    ATTRIBUTE,
    BOUNCE,
    CAMPAIGN_NAME,
    HOSTILE,
    SCRIPT,
    SOURCE,
    TAG,
    XSS_EMAIL,
    Admin,
    hostile_history,
    message,
    signed_in,
)
from tests.conftest import RuntimeFactory
from tests.integration.test_reports import T0


def no_raw_markup(html: str) -> None:
    """No hostile value appears unescaped anywhere in the page."""
    for value in HOSTILE:
        assert value not in html
    assert "<script" not in html.lower()
    assert "onerror=" not in html.replace("onerror=alert", "")  # only inside escaped text
    assert not re.search(r"<[^>]*\son(error|mouseover)=", html)


def lead_page(admin: Admin, public_id: str) -> str:
    return admin.page(f"/admin/leads/{public_id}")


def test_every_page_escapes_every_hostile_value(make_runtime: RuntimeFactory, db_url: str) -> None:
    """Names, user agents, bounce text, campaign names, tags, attributes and sources are
    text on every page that shows them, never markup."""
    admin = signed_in(make_runtime, db_url)
    public_id = hostile_history(admin.rt)
    shown = {
        "/admin/": [CAMPAIGN_NAME, SOURCE],
        "/admin/campaigns/spring": [CAMPAIGN_NAME],
        "/admin/leads": [SCRIPT, TAG, SOURCE],
        f"/admin/leads?q={XSS_EMAIL}": [SCRIPT, TAG],
        f"/admin/leads/{public_id}": [SCRIPT, AGENT, TAG, ATTRIBUTE, SOURCE],
        "/admin/outbox": [BOUNCE],
        "/admin/sales": [],
        "/admin/campaigns/drip/steps/one": [],
    }
    for path, values in shown.items():
        html = admin.page(path)
        no_raw_markup(html)
        for value in values:
            assert str(escape(value)) in html, (path, value)
    spring = admin.page("/admin/campaigns/spring")
    assert f"<title>{escape(CAMPAIGN_NAME)} · nurture dashboard</title>" in spring
    assert f'<title id="funnel-title">Funnel of {escape(CAMPAIGN_NAME)}, per step' in spring


def test_campaigns_page(make_runtime: RuntimeFactory, db_url: str) -> None:
    """Each campaign with purpose, steps, enrolment counts and state; the lead file by
    temperature, stage and source, and conversion by source."""
    admin = signed_in(make_runtime, db_url)
    hostile_history(admin.rt)
    html = admin.page("/admin/")
    assert '<a href="/admin/campaigns/drip">Drip test</a>' in html
    row = html[html.index("/admin/campaigns/drip") :].split("</tr>")[0]
    cells = re.findall(r'<td class="num">(\d+)</td>', row)
    assert cells == ["3", "0", "0", "0", "0"]  # steps, enrolled, active, completed, exited
    assert "Running" in row
    assert '<h2 id="leads">Leads at a glance</h2>' in html
    assert '<th scope="row">web</th><td class="num">2</td><td class="num">1</td>' in html


def test_campaign_funnel_chart_and_table(make_runtime: RuntimeFactory, db_url: str) -> None:
    """The report's figures drawn as SVG bars on one scale, and the same in a table."""
    admin = signed_in(make_runtime, db_url)
    hostile_history(admin.rt)
    html = admin.page("/admin/campaigns/drip")
    bars = dict(
        ((step, measure), (int(value), float(width)))
        for step, measure, value, width in re.findall(
            r'<g class="bar" data-step="(\w+)" data-measure="(\w+)" data-value="(\d+)">'
            r'\s*<text[^>]*>[^<]*</text>\s*<rect class="[\w-]+" x="[\d.]+" y="[\d.]+" '
            r'width="([\d.]+)"',
            html,
        )
    )
    one = [bars["one", m] for m in ("sent", "opened", "opened_machines", "clicked")]
    assert [value for value, _ in one] == [4, 2, 1, 1]
    assert [width for _, width in one] == [460.0, 230.0, 115.0, 115.0]  # one scale: 4 → 460
    assert bars["one", "clicked_machines"][0] == bars["one", "converted"][0] == 1
    assert bars["two", "sent"] == (2, 230.0)
    assert bars["three", "sent"] == (0, 0.0)
    assert 'role="img" aria-labelledby="funnel-title funnel-desc"' in html
    assert '<desc id="funnel-desc">' in html
    total = html[html.index('<tr class="total">') :].split("</tr>")[0]
    assert "All steps" in total
    assert '<td class="num">4</td>' in total  # sent, distinct leads over all steps


def test_step_preview_in_a_sandbox(make_runtime: RuntimeFactory, db_url: str) -> None:
    """The sender's rendering in `<iframe sandbox="" srcdoc>`, the text part and the
    headers; a real lead's preview escapes their name; unknown steps are 404."""
    admin = signed_in(make_runtime, db_url)
    hostile_history(admin.rt)
    response = admin.client.get("/admin/campaigns/drip/steps/one")
    html = response.get_data(as_text=True)
    frame = re.search(r'<iframe [^>]*sandbox=""[^>]*srcdoc="([^"]*)"', html)
    assert frame is not None
    assert "&lt;p&gt;Hi Alex,&lt;/p&gt;" in frame.group(1)  # the sample lead, escaped once
    assert '<pre class="mail-text">' in html
    assert '<th scope="row">Subject</th><td>One for Alex</td>' in html
    assert "List-Unsubscribe-Post" in html
    csp = response.headers["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in csp  # the mail's own inline styles
    assert "script-src 'none'" in csp

    real = admin.page(f"/admin/campaigns/spring/steps/hello?lead={XSS_EMAIL}")
    no_raw_markup(real)
    assert "<td>Hello &lt;script&gt;alert(1)&lt;/script&gt;</td>" in real
    assert admin.client.get("/admin/campaigns/drip/steps/nope").status_code == 404
    unknown = admin.client.get("/admin/campaigns/drip/steps/one?lead=nobody@example.com")
    assert unknown.status_code == 400
    assert "no lead with the address" in unknown.get_data(as_text=True)
    assert admin.client.get("/admin/campaigns/nope").status_code == 404


def test_lead_page(make_runtime: RuntimeFactory, db_url: str) -> None:
    """Profile, consent history with wording and source, score ledger, timeline with
    classification, messages, owner."""
    admin = signed_in(make_runtime, db_url)
    public_id = hostile_history(admin.rt)
    admin.rt.clock = FixedClock(T0 + timedelta(hours=4))
    admin.rt.scorer.update([_lead_id(admin, XSS_EMAIL)])
    html = lead_page(admin, public_id)
    assert f"<h1>{XSS_EMAIL}</h1>" in html
    consents = html[html.index('id="consent"') : html.index('id="score"')]
    assert "<strong>newsletter</strong>: given (consent)" in consents
    assert "<td>confirmed</td><td>consent</td><td>link</td>" in consents
    assert "<td>granted</td><td>consent</td><td>form</td>" in consents
    assert "Email me the newsletter: a short welcome series" in consents  # the wording
    score = html[html.index('id="score"') : html.index('id="timeline"')]
    assert "Why, computed" in score
    assert "Score <strong>1</strong> = fit 0 + engagement 1" in score
    assert "+1 newsletter-signup: consent_granted on 2026-04-14 09:00 UTC" in score
    assert "email-open: email_opened on 2026-04-14 12:00 UTC (proxy: not a person" in score
    timeline = html[html.index('id="timeline"') : html.index('id="messages"')]
    assert '<span class="badge c-proxy">proxy</span>' in timeline
    assert "<td>email_opened</td>" in timeline
    assert "<td>spring / hello</td>" in timeline
    assert "<dt>user_agent</dt>" in timeline
    messages = html[html.index('id="messages"') :]
    assert '<a href="/admin/outbox">failed</a>' in messages
    assert "Owner: nobody" in html
    assert admin.client.get("/admin/leads/not-a-lead").status_code == 404


def _lead_id(admin: Admin, email: str) -> int:
    with unit_of_work(admin.rt.sessions) as session:
        found = session.scalar(select(Lead.id).where(Lead.email == email))
        assert found is not None
        return found


def test_resume_a_paused_campaign(make_runtime: RuntimeFactory, db_url: str) -> None:
    """The list shows why a campaign paused; the button resumes it and says so."""
    admin = signed_in(make_runtime, db_url)
    hostile_history(admin.rt)
    with unit_of_work(admin.rt.sessions) as session:
        sync_campaign_states(session, admin.rt.campaigns().campaigns.values(), T0)
        pause_campaign(session, "drip", "550 5.7.1 <b>policy</b> rejection", T0)
    html = admin.page("/admin/")
    assert "<strong>Paused</strong>" in html
    assert "550 5.7.1 &lt;b&gt;policy&lt;/b&gt; rejection" in html
    done = admin.post("/admin/campaigns/drip/resume").get_data(as_text=True)
    assert "drip resumed" in done
    with unit_of_work(admin.rt.sessions) as session:
        assert not session.get_one(CampaignState, "drip").paused
        actions = session.scalars(select(AuditEntry.action)).all()
    assert "campaign_resumed" in actions
    again = admin.post("/admin/campaigns/drip/resume").get_data(as_text=True)
    assert "drip is not paused" in again


def test_outbox_and_resend(make_runtime: RuntimeFactory, db_url: str) -> None:
    """Failed and unknown messages with their reason; resending queues one again and
    enqueues it after the commit; the page warns that an unknown one may duplicate."""
    admin = signed_in(make_runtime, db_url)
    hostile_history(admin.rt)
    enqueued: list[list[int]] = []

    def enqueue(message_ids: Sequence[int]) -> None:
        enqueued.append(list(message_ids))

    admin.rt.actors.enqueue = enqueue  # type: ignore[method-assign]
    with unit_of_work(admin.rt.sessions) as session:
        lead = session.scalars(select(Lead).where(Lead.email == "a@example.com")).one()
        unknown = Message(
            lead_id=lead.id, campaign_id="drip", step_id="three", status="unknown",
            attempts=1, last_error="lost after 250", created_at=T0, updated_at=T0 + timedelta(1),
        )  # fmt: skip
        session.add(unknown)
        session.flush()
        unknown_id = unknown.public_id
        bounced = select(Message.public_id).where(Message.last_error == BOUNCE)
        failed_id = session.scalars(bounced).one()
    html = admin.page("/admin/outbox")
    assert "2 failed, 1 unknown" in html  # the history's hard bounce, and BOUNCE
    assert "resending an unknown message may deliver it twice" in html
    assert "Resend (may duplicate)" in html
    assert "lost after 250" in html

    done = admin.post(f"/admin/outbox/{failed_id}/resend").get_data(as_text=True)
    assert f"message {failed_id} queued again" in done
    row = message(admin.rt, failed_id)
    assert (row.status, row.attempts) == ("queued", 0)
    assert enqueued == [[row.id]]
    assert "1 failed, 1 unknown" in done
    again = admin.post(f"/admin/outbox/{failed_id}/resend").get_data(as_text=True)
    assert "is not failed or unknown" in again
    admin.post(f"/admin/outbox/{unknown_id}/resend")
    assert message(admin.rt, unknown_id).status == "queued"
