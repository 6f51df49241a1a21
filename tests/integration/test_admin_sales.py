"""The sales page on SQLite and PostgreSQL: claim from the pool, accept and reject from
the queue, through the hand-off services, with clear errors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from nurture.clock import FixedClock
from tests.admin_support import Admin, signed_in
from tests.conftest import RuntimeFactory
from tests.handoff_support import add_events, event_types, handoffs, lead, write_rules
from tests.pipeline import add_lead

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def hot(make_runtime: RuntimeFactory, db_url: str, mode: str) -> tuple[Admin, int, list[int]]:
    """A lead made hot by three replies: pooled (pull) or assigned to Ana (push)."""
    admin = signed_in(make_runtime, db_url)
    write_rules(admin.rt, mode=mode, webhook="https://crm.example/hooks/nurture")
    admin.rt.clock = FixedClock(T0)
    delivered: list[int] = []

    def enqueue_deliveries(delivery_ids: Sequence[int]) -> None:
        delivered.extend(delivery_ids)

    admin.rt.actors.enqueue_deliveries = enqueue_deliveries  # type: ignore[method-assign]
    lead_id = add_lead(admin.rt, "hot@example.com", T0 - timedelta(days=1), country="ES",
                       first_name="<b>Hot</b>")  # fmt: skip
    add_events(admin.rt, lead_id, T0, "email_replied", "email_replied", "email_replied")
    admin.rt.scorer.update([lead_id])
    return admin, lead_id, delivered


def test_claim_then_accept(make_runtime: RuntimeFactory, db_url: str) -> None:
    """The pool lists the lead with a claim form; a claim needs an active rep; claimed,
    it moves to the queue, where it is accepted for its rep."""
    admin, lead_id, delivered = hot(make_runtime, db_url, "pull")
    [handoff] = handoffs(admin.rt)
    before = len(delivered)
    html = admin.page("/admin/sales")
    pool = html[html.index('id="pool"') : html.index('id="queue"')]
    assert "hot@example.com" in pool
    assert "&lt;b&gt;Hot&lt;/b&gt;" in pool
    assert f'action="/admin/sales/{handoff.public_id}/claim"' in pool
    assert '<option value="ana">Ana</option><option value="ben">Ben</option>' in pool
    assert "No lead is waiting for its rep." in html

    zoe = admin.post(f"/admin/sales/{handoff.public_id}/claim", rep="zoe").get_data(as_text=True)
    assert "&#39;zoe&#39; is not an active rep in scoring.yaml (active: ana, ben)" in zoe
    claimed = admin.post(f"/admin/sales/{handoff.public_id}/claim", rep="ana")
    html = claimed.get_data(as_text=True)
    assert "claimed for ana" in html
    queue = html[html.index('id="queue"') :]
    assert "Accept for ana" in queue
    assert "The pool is empty." in html

    accepted = admin.post(f"/admin/sales/{handoff.public_id}/accept").get_data(as_text=True)
    assert "accepted" in accepted
    assert handoffs(admin.rt)[0].status == "accepted"
    assert lead(admin.rt, lead_id).owner == "ana"
    assert len(delivered) == before + 2  # the CRM hears of the claim and the accept
    gone = admin.post(f"/admin/sales/{handoff.public_id}/claim", rep="ben")
    assert "this lead is already accepted" in gone.get_data(as_text=True)


def test_reject_needs_a_reason(make_runtime: RuntimeFactory, db_url: str) -> None:
    """A blank reason changes nothing and says why; with one, the lead goes back to
    nurture, the reason recorded on its timeline."""
    admin, lead_id, _ = hot(make_runtime, db_url, "push")
    [handoff] = handoffs(admin.rt)
    assert handoff.status == "assigned"
    url = f"/admin/sales/{handoff.public_id}/reject"
    blank = admin.post(url, reason="   ").get_data(as_text=True)
    assert "say why the lead is rejected" in blank
    assert handoffs(admin.rt)[0].status == "assigned"

    done = admin.post(url, reason="Budget <next year>").get_data(as_text=True)
    assert "rejected: the lead goes back to nurture" in done
    assert handoffs(admin.rt)[0].reject_reason == "Budget <next year>"
    assert "sales_rejected" in event_types(admin.rt, lead_id)
    assert lead(admin.rt, lead_id).owner is None
    page = admin.page(f"/admin/leads/{lead(admin.rt, lead_id).public_id}")
    assert "<td>Budget &lt;next year&gt;</td>" in page
    missing = admin.post("/admin/sales/not-a-handoff/accept").get_data(as_text=True)
    assert "no open hand-off for &#39;not-a-handoff&#39;" in missing


def test_broken_scoring_file(make_runtime: RuntimeFactory, db_url: str) -> None:
    """An invalid scoring.yaml: the page says so, and an action changes nothing."""
    admin, _, _ = hot(make_runtime, db_url, "pull")
    [handoff] = handoffs(admin.rt)
    (admin.rt.settings.campaigns_dir / "scoring.yaml").write_text("behaviour: [oops\n")
    html = admin.page("/admin/sales")
    assert "scoring.yaml is invalid" in html
    claimed = admin.post(f"/admin/sales/{handoff.public_id}/claim", rep="ana")
    assert "scoring.yaml is invalid" in claimed.get_data(as_text=True)
    assert handoffs(admin.rt)[0].status == "pooled"
