"""`/api/sales`: bearer keys, the pool, claim, accept, reject, and errors that name the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient

from nurture.clock import FixedClock
from nurture.runtime import Runtime
from nurture.web import create_app
from tests.conftest import RuntimeFactory
from tests.handoff_support import add_events, event_types, handoffs, lead, write_rules
from tests.pipeline import add_lead

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
KEY = {"Authorization": "Bearer sales-key"}


def setup(make_runtime: RuntimeFactory, db_url: str) -> tuple[Runtime, FlaskClient, int]:
    rt = make_runtime(db_url, api_keys=("sales-key",))
    write_rules(rt, mode="pull")
    rt.clock = FixedClock(T0)
    lead_id = add_lead(rt, "api@example.com", T0 - timedelta(days=1), country="ES")
    add_events(rt, lead_id, T0, "email_replied", "email_replied", "email_replied")
    rt.scorer.update([lead_id])
    return rt, create_app(rt).test_client(), lead_id


def test_keys_are_required(make_runtime: RuntimeFactory, db_url: str) -> None:
    """No key or a wrong key: 401 with a JSON error, for reads and writes alike."""
    _, client, _ = setup(make_runtime, db_url)
    assert client.get("/api/sales/pool").status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    response = client.post("/api/sales/handoffs/x/claim", json={"rep": "ana"}, headers=wrong)
    assert response.status_code == 401
    assert "NURTURE_API_KEYS" in response.get_json()["error"]
    bare = {"Authorization": "sales-key"}  # the key without its scheme, as /api/leads
    assert client.get("/api/sales/pool", headers=bare).status_code == 401
    assert (
        client.get("/api/sales/pool", headers={"Authorization": "bearer sales-key"}).status_code
        == 200
    )


def test_claim_accept_through_the_api(make_runtime: RuntimeFactory, db_url: str) -> None:
    """The pool lists the lead; claim and accept move it; conflicts are 409."""
    rt, client, lead_id = setup(make_runtime, db_url)
    [entry] = client.get("/api/sales/pool", headers=KEY).get_json()["pool"]
    assert (entry["email"], entry["score"], entry["overdue"]) == ("api@example.com", 70, False)
    url = f"/api/sales/handoffs/{entry['handoff']}"
    missing = client.post(f"{url}/claim", json={}, headers=KEY)
    assert (missing.status_code, missing.get_json()["field"]) == (400, "rep")
    unknown = client.post(f"{url}/claim", json={"rep": "zoe"}, headers=KEY)
    assert (unknown.status_code, unknown.get_json()["field"]) == (400, "rep")
    claimed = client.post(f"{url}/claim", data={"rep": "ana"}, headers=KEY)  # form-encoded
    assert claimed.get_json() == {"handoff": entry["handoff"], "status": "assigned"}
    again = client.post(f"{url}/claim", json={"rep": "ben"}, headers=KEY)
    assert again.status_code == 409
    accepted = client.post(f"{url}/accept", json={}, headers=KEY)
    assert accepted.get_json()["status"] == "accepted"
    assert lead(rt, lead_id).owner == "ana"
    assert client.get("/api/sales/pool", headers=KEY).get_json() == {"pool": []}


def test_reject_through_the_api(make_runtime: RuntimeFactory, db_url: str) -> None:
    """A reason is required; the rejection is recorded with it; an unknown id is 404."""
    rt, client, lead_id = setup(make_runtime, db_url)
    [handoff] = handoffs(rt)
    url = f"/api/sales/handoffs/{handoff.public_id}/reject"
    blank = client.post(url, json={"reason": " "}, headers=KEY)
    assert (blank.status_code, blank.get_json()["field"]) == (400, "reason")
    done = client.post(url, json={"reason": "not_a_fit", "rep": "ana"}, headers=KEY)
    assert done.get_json()["status"] == "rejected"
    assert "sales_rejected" in event_types(rt, lead_id)
    assert client.post(url, json={"reason": "again"}, headers=KEY).status_code == 404
