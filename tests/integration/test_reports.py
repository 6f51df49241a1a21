"""`nurture report`: per-step funnels and lead breakdowns, against a history counted by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from nurture.clock import FixedClock
from nurture.db import unit_of_work
from nurture.gdpr.erase import erase_lead
from nurture.leads.events import record_event
from nurture.models import Lead, Message
from nurture.reports.render import to_table
from nurture.reports.service import build_report
from nurture.runtime import Runtime
from tests.conftest import RuntimeFactory
from tests.integration.test_cli import run
from tests.pipeline import THREE_STEPS, write_campaign
from tests.prospects import NO_WINDOW, consented, make_site

T0 = datetime(2026, 4, 14, 9, 0, tzinfo=UTC)


def hour(n: int) -> datetime:
    return T0 + timedelta(hours=n)


def mail(session: Session, lead: Lead, step: str, at: datetime, status: str = "sent") -> Message:
    row = Message(
        lead_id=lead.id,
        campaign_id="drip",
        step_id=step,
        kind="marketing",
        purpose="newsletter",
        status=status,
        scheduled_for=at,
        created_at=at,
        sent_at=at if status == "sent" else None,
    )
    session.add(row)
    session.flush()
    kind = "email_sent" if status == "sent" else "email_bounced"
    record_event(
        session, lead, kind, occurred_at=at, campaign_id="drip", step_id=step, message_id=row.id
    )
    return row


def engage(session: Session, lead: Lead, row: Message, kind: str, at: datetime, who: str) -> None:
    record_event(
        session, lead, kind, occurred_at=at, campaign_id="drip", step_id=row.step_id,
        message_id=row.id, classification=who,
    )  # fmt: skip


def history(rt: Runtime) -> None:
    """Four leads through step one, two of them through step two (see the test)."""
    write_campaign(rt, THREE_STEPS)
    with unit_of_work(rt.sessions) as session:
        leads = {}
        for name, source, temperature in (
            ("a", "web", "hot"),
            ("b", "web", "warm"),
            ("c", "fair", "cold"),
            ("d", None, "cold"),
        ):
            lead = Lead(email=f"{name}@example.com", source=source, temperature=temperature)
            session.add(lead)
            leads[name] = lead
        session.flush()
        a, b, c, d = (leads[n] for n in "abcd")
        a1, b1, c1 = (mail(session, lead, "one", hour(0)) for lead in (a, b, c))
        mail(session, d, "one", hour(0), status="failed")  # hard bounce
        engage(session, a, a1, "email_opened", hour(1), "human")
        engage(session, a, a1, "email_opened", hour(2), "human")  # twice: one lead
        engage(session, a, a1, "email_clicked", hour(2), "human")
        engage(session, b, b1, "email_opened", hour(1), "proxy")  # Apple MPP only
        engage(session, c, c1, "email_opened", hour(1), "proxy")
        engage(session, c, c1, "email_opened", hour(3), "human")
        engage(session, c, c1, "email_clicked", hour(1), "scanner")  # a link scanner only
        record_event(session, b, "unsubscribed", occurred_at=hour(5), campaign_id="drip")
        a2, _ = (mail(session, lead, "two", hour(48)) for lead in (a, c))
        engage(session, a, a2, "email_opened", hour(49), "human")
        record_event(session, c, "unsubscribed", occurred_at=hour(50), campaign_id="drip")
        record_event(session, a, "converted", occurred_at=hour(60))
        d.lifecycle_stage = "customer"  # marked by hand, no event


def test_funnel_per_step_counts_distinct_leads(db_url: str, make_runtime: RuntimeFactory) -> None:
    """Opens and clicks by people and machines apart; unsubscribes on the step before them.

    one: sent a, b, c and d (bounced): 4, bounced 1, delivered 3; opened by people a, c;
         only by machines b; clicked a (person), c (scanner only); unsubscribed b (after
         one); converted a (after one). two: sent a, c; opened a; unsubscribed c;
         converted a. three: nothing yet.
    """
    rt = make_runtime(db_url)
    history(rt)
    with rt.sessions() as session:
        report = build_report(session, rt.campaigns(), "drip")

    result = report.to_json()
    assert result["campaign"] == "drip"
    keys = ("sent", "delivered", "opened", "opened_machines", "clicked", "clicked_machines",
            "unsubscribed", "bounced", "converted")  # fmt: skip
    assert [(s["id"], *(s[k] for k in keys)) for s in result["steps"]] == [
        ("one", 4, 3, 2, 1, 1, 1, 1, 1, 1),
        ("two", 2, 2, 1, 0, 0, 0, 1, 0, 1),
        ("three", 0, 0, 0, 0, 0, 0, 0, 0, 0),
    ]
    totals = result["totals"]
    assert [totals[k] for k in keys] == [4, 3, 2, 1, 1, 1, 2, 1, 1]
    one = result["steps"][0]["rates"]
    assert (one["opened"], one["clicked"], one["bounced"]) == (0.6667, 0.3333, 0.25)
    assert result["steps"][2]["rates"]["opened"] is None  # nothing delivered: no rate

    leads = result["leads"]
    assert leads["total"] == 4
    assert leads["by_temperature"] == {"cold": 2, "hot": 1, "warm": 1}
    assert leads["by_stage"] == {"lead": 3, "customer": 1}
    assert leads["conversion_by_source"] == [
        {"source": "web", "leads": 2, "customers": 1, "rate": 0.5},
        {"source": "(unknown)", "leads": 1, "customers": 1, "rate": 1.0},
        {"source": "fair", "leads": 1, "customers": 0, "rate": 0.0},
    ]
    table = to_table(report)
    assert "drip — Drip test" in table
    assert "one           4   3 (75.0%)  2 (66.7%)           1  1 (33.3%)" in table
    assert "web                            1 of         2 leads   50.0%" in table


def test_removed_campaigns_still_report_and_the_command_speaks_json(
    db_url: str, make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    """A campaign whose file is gone keeps its figures; `--json` is the contract's shape."""
    rt = make_runtime(db_url)
    history(rt)
    (rt.settings.campaigns_dir / "drip.yaml").unlink()
    with rt.sessions() as session:
        report = build_report(session, rt.campaigns(), None)
    [drip] = report.to_json()["campaigns"]
    assert (drip["campaign"], drip["name"]) == ("drip", None)
    assert [step["id"] for step in drip["steps"]] == ["one", "two"]

    answer = run(tmp_path, "report", "drip", "--json", database_url=rt.settings.database_url)
    assert answer.returncode == 0, answer.stderr
    steps = json.loads(answer.stdout)["steps"]
    assert {"id", "sent", "opened", "clicked", "unsubscribed", "bounced", "converted"} <= set(
        steps[0]
    )
    unknown = run(tmp_path, "report", "nope", database_url=rt.settings.database_url)
    assert unknown.returncode == 1
    assert "no campaign 'nope'" in unknown.stderr


def test_a_conversion_reported_with_its_campaign_and_step_counts_there_only(
    db_url: str, make_runtime: RuntimeFactory
) -> None:
    """e converts "because of" step one, f because of another campaign, g says nothing:
    e counts on one only, f nowhere in drip, g on both steps it received."""
    rt = make_runtime(db_url)
    write_campaign(rt, THREE_STEPS)
    with unit_of_work(rt.sessions) as session:
        e, f, g = (Lead(email=f"{name}@example.com") for name in "efg")
        session.add_all([e, f, g])
        session.flush()
        for lead in (e, f, g):
            mail(session, lead, "one", hour(0))
            mail(session, lead, "two", hour(48))
        record_event(
            session, e, "converted", occurred_at=hour(60), campaign_id="drip", step_id="one"
        )
        record_event(session, f, "converted", occurred_at=hour(60), campaign_id="other")
        record_event(session, g, "converted", occurred_at=hour(60))
        record_event(session, g, "converted", occurred_at=hour(70), campaign_id="drip")
    with rt.sessions() as session:
        result = build_report(session, rt.campaigns(), "drip").to_json()
    assert [(s["id"], s["converted"]) for s in result["steps"]] == [
        ("one", 2),
        ("two", 1),
        ("three", 0),
    ]
    assert result["totals"]["converted"] == 2


def test_an_unsubscribe_still_counts_once_the_lead_is_erased(
    db_url: str, make_runtime: RuntimeFactory
) -> None:
    """Filed under the step when it happens: erasure takes the lead out of the messages,
    not the unsubscribe out of the funnel (sent keeps counting erased leads too)."""
    rt = make_runtime(db_url)
    rt.clock = FixedClock(hour(10))
    site = make_site(rt, NO_WINDOW)
    names = ("stays", "goes")
    for name in names:
        lead = consented(site, f"{name}@example.com")
        with unit_of_work(site.rt.sessions) as session:
            row = mail(session, session.get_one(Lead, lead.id), "hello", hour(1))
            row.campaign_id = "news"
        token = site.rt.tokens.sign("unsubscribe", [lead.public_id, "newsletter", "news"])
        one_click = site.client.post("/u/" + token, data={"List-Unsubscribe": "One-Click"})
        assert one_click.status_code == 200
    with unit_of_work(site.rt.sessions) as session:
        gone = session.scalars(select(Lead).where(Lead.email == "goes@example.com")).one()
        erase_lead(session, gone, site.rt.settings.suppression_key, hour(11), actor="t", via="t")

    with site.rt.sessions() as session:
        steps = build_report(session, site.rt.campaigns(), "news").to_json()["steps"]
    assert [(s["id"], s["sent"], s["unsubscribed"]) for s in steps] == [
        ("hello", 2, 2),
        ("later", 0, 0),
    ]
