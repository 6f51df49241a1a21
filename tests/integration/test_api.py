"""The capture API: the same lead from JSON, form and XML; hostile and wrong requests refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from nurture.db import unit_of_work
from nurture.leads.notices import ART14_NOTICE
from nurture.leads.service import find_lead
from nurture.models import ConsentRecord, Event, Lead, Message
from nurture.runtime import Runtime
from nurture.web import create_app
from tests.conftest import REPO, RuntimeFactory
from tests.pipeline import THREE_STEPS, write_campaign

KEY = "test-api-key-2"
AUTH = {"Authorization": f"Bearer {KEY}"}
PROOF = "Landing page /ebook, box ticked 2026-04-14"
CONSENT = {"purpose": "newsletter", "basis": "consent", "proof": PROOF}

JSON_BODY = {
    "email": "{email}",
    "first_name": "Begoña",
    "company": "Acme S.L.",
    "country": "es",
    "tags": ["ebook", "spring"],
    "attributes": {"utm_campaign": "spring"},
    "consent": {"purpose": "newsletter", "basis": "consent", "proof": PROOF},
}
FORM_BODY = [
    ("email", "{email}"),
    ("first_name", "Begoña"),
    ("company", "Acme S.L."),
    ("country", "es"),
    ("tags", "ebook"),
    ("tags", "spring"),
    ("attributes.utm_campaign", "spring"),
    ("consent_purpose", "newsletter"),
    ("consent[basis]", "consent"),
    ("consent.proof", PROOF),
]
XML_BODY = """<?xml version="1.0" encoding="UTF-8"?>
<lead>
  <email>{email}</email>
  <first_name>Begoña</first_name>
  <company>Acme S.L.</company>
  <country>es</country>
  <tags><tag>ebook</tag><tag>spring</tag></tags>
  <attributes><utm_campaign>spring</utm_campaign></attributes>
  <consent><purpose>newsletter</purpose><basis>consent</basis><proof>{proof}</proof></consent>
</lead>"""
BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<lead><email>x@example.com</email><first_name>&lol9;</first_name></lead>"""


@pytest.fixture
def api(db_url: str, make_runtime: RuntimeFactory) -> tuple[Runtime, FlaskClient]:
    rt = make_runtime(db_url, api_keys=("test-api-key-1", KEY))
    shutil.copyfile(REPO / "campaigns/purposes.yaml", rt.settings.campaigns_dir / "purposes.yaml")
    return rt, create_app(rt).test_client()


def post(client: FlaskClient, kind: str, email: str, path: str = "/api/leads") -> Any:
    if kind == "json":
        body = json.loads(json.dumps(JSON_BODY).replace("{email}", email))
        return client.post(path, json=body, headers=AUTH)
    if kind == "form":
        pairs = urlencode([(k, v.replace("{email}", email)) for k, v in FORM_BODY])
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        return client.post(path, data=pairs, headers={**AUTH, **form})
    xml = XML_BODY.format(email=email, proof=PROOF).encode()
    return client.post(path, data=xml, headers={**AUTH, "Content-Type": "application/xml"})


def js(answer: Any) -> dict[str, Any]:
    """The answer's JSON body (every answer of the API has one)."""
    data = answer.get_json()
    assert isinstance(data, dict)
    return data


def lead_view(rt: Runtime, email: str) -> dict[str, Any]:
    with unit_of_work(rt.sessions) as session:
        lead = find_lead(session, email)
        assert lead is not None
        values = lead.field_values()
        records = session.scalars(select(ConsentRecord).where(ConsentRecord.lead_id == lead.id))
        values["consents"] = [(r.purpose, r.basis, r.source, r.proof) for r in records]
        values.pop("email")
        return values


def test_json_form_and_xml_bodies_create_the_same_lead(api: tuple[Runtime, FlaskClient]) -> None:
    """Three encodings of one lead give identical leads and ledger records."""
    rt, client = api
    views = []
    for kind in ("json", "form", "xml"):
        answer = post(client, kind, f"{kind}@acme.example")
        assert answer.status_code == 201, js(answer)
        assert (js(answer)["created"], js(answer)["consent"]) == (True, True)
        views.append(lead_view(rt, f"{kind}@acme.example"))
    assert views[0] == views[1] == views[2]
    assert (views[0]["first_name"], views[0]["country"]) == ("Begoña", "ES")
    assert views[0]["tags"] == ["ebook", "spring"]
    assert views[0]["attributes"] == {"utm_campaign": "spring"}
    assert views[0]["source"] == "api"
    assert views[0]["consents"] == [("newsletter", "consent", "api", PROOF)]

    again = post(client, "xml", "JSON@Acme.Example")  # the JSON lead, other case, as XML
    assert again.status_code == 200
    assert (js(again)["created"], js(again)["consent"]) == (False, False)
    with unit_of_work(rt.sessions) as session:
        known = find_lead(session, "json@acme.example")
        assert known is not None
        assert js(again)["id"] == known.public_id


def test_billion_laughs_is_refused_before_any_expansion(api: tuple[Runtime, FlaskClient]) -> None:
    """A DTD with entities is refused outright: 400 naming the body, nothing stored."""
    rt, client = api
    answer = client.post(
        "/api/leads",
        data=BILLION_LAUGHS,
        headers={**AUTH, "Content-Type": "application/xml"},
    )
    assert answer.status_code == 400
    assert js(answer) == {
        "error": "XML with a DTD or entity declarations is refused",
        "field": "body",
    }
    with unit_of_work(rt.sessions) as session:
        assert session.scalars(select(Lead)).first() is None


def test_a_10_mb_body_is_refused_with_413(api: tuple[Runtime, FlaskClient]) -> None:
    """Oversized bodies are refused with a JSON error, whatever their content type."""
    _, client = api
    big = json.dumps({"email": "a@example.com", "notes": "x" * 10_000_000})
    answer = client.post(
        "/api/leads", data=big, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert answer.status_code == 413
    assert js(answer) == {"error": "the body is larger than 64 KiB", "field": "body"}
    form = client.post(
        "/api/events", data={"email": "a@example.com", "x": "y" * 100_000}, headers=AUTH
    )
    assert (form.status_code, js(form)["field"]) == (413, "body")


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": KEY}, {"Authorization": "Basic x"}],
)
def test_missing_or_wrong_keys_are_refused(
    api: tuple[Runtime, FlaskClient], headers: dict[str, str]
) -> None:
    """No valid bearer key, no access: 401 with a JSON body and WWW-Authenticate."""
    _, client = api
    for path in ("/api/leads", "/api/events"):
        answer = client.post(path, json={"email": "a@example.com"}, headers=headers)
        assert answer.status_code == 401
        assert js(answer)["field"] == "Authorization"
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_without_configured_keys_the_api_is_closed(
    db_url: str, make_runtime: RuntimeFactory
) -> None:
    """NURTURE_API_KEYS unset: even an empty bearer token gets 401."""
    client = create_app(make_runtime(db_url)).test_client()
    answer = client.post("/api/leads", json={"email": "a@example.com"}, headers=AUTH)
    assert answer.status_code == 401


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"email": "not-an-email"}, 422, "email"),
        ({"email": "a@example.com", "country": "Spain"}, 422, "country"),
        ({"email": "a@example.com", "consent": {**CONSENT, "proof": ""}}, 422, "consent.proof"),
        (
            {"email": "a@example.com", "consent": {**CONSENT, "purpose": "x"}},
            422,
            "consent.purpose",
        ),
        (
            {"email": "a@example.com", "consent": {**CONSENT, "basis": "legitimate_interest"}},
            422,
            "consent.basis",
        ),
        (
            {"email": "a@example.com", "consent": {**CONSENT, "basis": "contract"}},
            422,
            "consent.basis",
        ),
        ({"email": "a@example.com", "consent": "yes"}, 422, "consent"),
    ],
)
def test_bad_fields_are_named(
    api: tuple[Runtime, FlaskClient], body: dict[str, Any], status: int, field: str
) -> None:
    """Every bad input is a 4xx whose JSON body names the field."""
    _, client = api
    answer = client.post("/api/leads", json=body, headers=AUTH)
    assert (answer.status_code, js(answer)["field"]) == (status, field), js(answer)


@pytest.mark.parametrize(
    ("data", "content_type", "status", "field"),
    [
        (b"{not json", "application/json", 400, "body"),
        (b"[1, 2]", "application/json", 400, "body"),
        (b"<lead><email>a@b.example", "application/xml", 400, "body"),
        (
            b"<lead><consent><purpose><x>1</x></purpose></consent></lead>",
            "text/xml",
            400,
            "purpose",
        ),
        (b"email=a@example.com", "text/plain", 415, "Content-Type"),
        (b"<?xml version='1.0' encoding='bogus'?><lead/>", "application/xml", 400, "body"),
        (
            b"email=a@example.com&consent=x&consent.purpose=newsletter",
            "application/x-www-form-urlencoded",
            400,
            "consent",
        ),
        (
            b"email=a@example.com&consent.purpose=newsletter&consent=x",
            "application/x-www-form-urlencoded",
            400,
            "consent",
        ),
    ],
)
def test_unparseable_bodies_are_refused(
    api: tuple[Runtime, FlaskClient], data: bytes, content_type: str, status: int, field: str
) -> None:
    """Broken JSON or XML and unknown content types get 400/415 naming what is wrong."""
    _, client = api
    answer = client.post("/api/leads", data=data, headers={**AUTH, "Content-Type": content_type})
    assert (answer.status_code, js(answer)["field"]) == (status, field), js(answer)


def test_an_event_with_a_number_json_cannot_hold_is_refused(
    api: tuple[Runtime, FlaskClient],
) -> None:
    """Python's JSON reader takes NaN; PostgreSQL would refuse it with a 500."""
    _, client = api
    assert post(client, "json", "nan@acme.example").status_code == 201
    body = b'{"email": "nan@acme.example", "type": "call_completed", "data": {"x": [1, NaN]}}'
    answer = client.post(
        "/api/events", data=body, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert (answer.status_code, js(answer)["field"]) == (422, "data.x[1]"), js(answer)


def test_events_for_known_leads_but_not_system_types(api: tuple[Runtime, FlaskClient]) -> None:
    """A reported event is stored with source `api`; forged system events are refused."""
    rt, client = api
    created = post(client, "json", "ana@acme.example")
    event = {"email": "ANA@acme.example", "type": "call_completed", "data": {"minutes": 20}}
    answer = client.post("/api/events", json=event, headers=AUTH)
    assert answer.status_code == 201
    assert js(answer)["lead"] == js(created)["id"]
    by_id = client.post(
        "/api/events",
        data=f"<event><lead>{js(created)['id']}</lead><type>meeting_no_show</type>"
        "<occurred_at>2026-04-14T10:00:00Z</occurred_at></event>",
        headers={**AUTH, "Content-Type": "application/xml"},
    )
    assert by_id.status_code == 201, js(by_id)
    forged = client.post("/api/events", json={**event, "type": "consent_confirmed"}, headers=AUTH)
    assert (forged.status_code, js(forged)["field"]) == (422, "type")
    unknown = client.post(
        "/api/events", json={**event, "email": "nobody@example.com"}, headers=AUTH
    )
    assert (unknown.status_code, js(unknown)["field"]) == (404, "email")
    future = client.post(
        "/api/events", json={**event, "occurred_at": "2999-01-01T00:00:00Z"}, headers=AUTH
    )
    assert (future.status_code, js(future)["field"]) == (422, "occurred_at")
    with unit_of_work(rt.sessions) as session:
        stored = session.scalars(
            select(Event).where(Event.type.in_(["call_completed", "meeting_no_show"]))
        ).all()
        assert [(e.type, e.source, e.data) for e in stored] == [
            ("call_completed", "api", {"minutes": 20}),
            ("meeting_no_show", "api", {}),
        ]


def test_a_business_contact_under_legitimate_interest_gets_the_art14_notice(
    api: tuple[Runtime, FlaskClient],
) -> None:
    """Legitimate interest with a company: lead, ledger record and a queued notice."""
    rt, client = api
    body = {
        "email": "cto@beta.example",
        "company": "Beta",
        "consent": {"purpose": "newsletter", "basis": "legitimate_interest", "proof": "Expo 2026"},
    }
    assert client.post("/api/leads", json=body, headers=AUTH).status_code == 201
    with unit_of_work(rt.sessions) as session:
        notice = session.scalars(select(Message)).one()
        assert (notice.kind, notice.template, notice.status) == (
            "transactional",
            ART14_NOTICE,
            "queued",
        )


def test_the_openapi_document_describes_both_endpoints(api: tuple[Runtime, FlaskClient]) -> None:
    """Served without a key, parses as JSON, OpenAPI 3.1, both paths and their errors."""
    _, client = api
    answer = client.get("/api/openapi.json")
    assert answer.status_code == 200
    spec = json.loads(answer.data)
    assert spec["openapi"] == "3.1.0"
    assert set(spec["paths"]) == {"/api/leads", "/api/events"}
    for path in spec["paths"].values():
        operation = path["post"]
        assert {"201", "401", "413", "422"} <= set(operation["responses"])
        content = operation["requestBody"]["content"]
        assert set(content) == {
            "application/json",
            "application/x-www-form-urlencoded",
            "application/xml",
        }
    example = spec["paths"]["/api/leads"]["post"]["requestBody"]["content"]["application/json"]
    documented = client.post("/api/leads", json=example["example"], headers=AUTH)
    assert documented.status_code == 201, js(documented)


@pytest.mark.parametrize(
    "event_type", ["became_hot", "became_mql", "disqualified", "handoff_assigned", "sales_accepted"]
)
def test_derived_events_cannot_be_forged(api: tuple[Runtime, FlaskClient], event_type: str) -> None:
    """Score, stage and hand-off changes are nurture's: a posted `became_hot` is a 422."""
    rt, client = api
    post(client, "json", "ana@acme.example")
    body = {"email": "ana@acme.example", "type": event_type}
    answer = client.post("/api/events", json=body, headers=AUTH)
    assert (answer.status_code, js(answer)["field"]) == (422, "type")
    assert "derived by nurture" in js(answer)["error"]
    with unit_of_work(rt.sessions) as session:
        assert session.scalars(select(Event).where(Event.type == event_type)).all() == []


def test_events_name_the_campaign_and_step_they_came_from(
    api: tuple[Runtime, FlaskClient],
) -> None:
    """`campaign` and `step` are checked against the loaded campaigns, then stored."""
    rt, client = api
    write_campaign(rt, THREE_STEPS)
    post(client, "json", "ana@acme.example")
    event = {"email": "ana@acme.example", "type": "email_replied", "campaign": "drip"}
    answer = client.post("/api/events", json={**event, "step": "two"}, headers=AUTH)
    assert answer.status_code == 201, js(answer)
    assert (js(answer)["campaign"], js(answer)["step"]) == ("drip", "two")
    form = {"email": "ana@acme.example", "type": "converted", "campaign": "drip"}
    assert client.post("/api/events", data=form, headers=AUTH).status_code == 201
    for wrong, field in (
        ({"campaign": "nope"}, "campaign"),
        ({"step": "four"}, "step"),
        ({"campaign": None, "step": "two"}, "campaign"),
        ({"campaign": 7}, "campaign"),
    ):
        refused = client.post("/api/events", json={**event, **wrong}, headers=AUTH)
        assert (refused.status_code, js(refused)["field"]) == (422, field), wrong
    with unit_of_work(rt.sessions) as session:
        stored = session.scalars(
            select(Event).where(Event.type.in_(["email_replied", "converted"])).order_by(Event.id)
        ).all()
        assert [(e.type, e.campaign_id, e.step_id) for e in stored] == [
            ("email_replied", "drip", "two"),
            ("converted", "drip", None),
        ]


def test_every_answer_under_api_is_json(api: tuple[Runtime, FlaskClient]) -> None:
    """A wrong method and an unknown path answer in the error shape; other paths do not."""
    _, client = api
    wrong_method = client.get("/api/leads", headers=AUTH)
    assert wrong_method.status_code == 405
    assert js(wrong_method) == {"error": "GET is not allowed here: use POST", "field": None}
    assert "POST" in wrong_method.headers["Allow"]
    for path in ("/api/nope", "/api/leads/extra", "/api/sales/nope"):
        unknown = client.post(path, json={}, headers=AUTH)
        assert unknown.status_code == 404, path
        assert js(unknown)["field"] is None
        assert "/api/openapi.json" in js(unknown)["error"]
    page = client.get("/no-such-page")
    assert (page.status_code, page.mimetype) == (404, "text/html")


def test_a_server_error_under_api_is_json_and_logged(
    make_runtime: RuntimeFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The database is unreachable: 500 in the error shape, details only in the log."""
    rt = make_runtime(f"sqlite:///{tmp_path / 'missing' / 'nurture.db'}", api_keys=(KEY,))
    client = create_app(rt).test_client()
    body = {"email": "ana@acme.example", "type": "call_completed"}
    answer = client.post("/api/events", json=body, headers=AUTH)
    assert answer.status_code == 500
    assert js(answer) == {"error": "internal error: it has been logged; try again later",
                          "field": None}  # fmt: skip
    assert "unable to open database file" not in answer.get_data(as_text=True)
    assert "unable to open database file" in caplog.text
