"""The OpenAPI 3.1 description of the capture API, served at `/api/openapi.json`.

Written by hand next to the code it describes (a test posts every documented example
and checks the documented status); the lead fields come from the model's list, so a new
contract field appears here without an edit.
"""

from __future__ import annotations

from typing import Any

from nurture.leads.fields import MAX_LENGTHS
from nurture.models.lead import IDENTITY_FIELDS

LEAD_EXAMPLE = {
    "email": "ana.garcia@acme.example",
    "first_name": "Ana",
    "last_name": "García",
    "company": "Acme S.L.",
    "country": "ES",
    "locale": "es-ES",
    "tags": ["webinar-2026"],
    "attributes": {"utm_campaign": "spring"},
    "consent": {
        "purpose": "newsletter",
        "basis": "consent",
        "proof": "Landing page /ebook, checkbox ticked 2026-04-14 10:02 UTC",
    },
}
EVENT_EXAMPLE = {
    "email": "ana.garcia@acme.example",
    "type": "call_completed",
    "occurred_at": "2026-04-14T10:30:00Z",
    "data": {"minutes": 20},
}


def _lead_schema() -> dict[str, Any]:
    properties: dict[str, Any] = {
        "email": {"type": "string", "format": "email", "maxLength": 320},
        **{
            name: {"type": "string", "maxLength": MAX_LENGTHS.get(name, 200)}
            for name in IDENTITY_FIELDS
        },
        "tags": {
            "oneOf": [
                {"type": "array", "items": {"type": "string"}},
                {"type": "string", "description": "comma-separated"},
            ]
        },
        "attributes": {
            "type": "object",
            "maxProperties": 100,
            "additionalProperties": {"type": ["string", "number", "boolean"]},
        },
        "consent": {"$ref": "#/components/schemas/Consent"},
    }
    properties["country"]["description"] = "ISO 3166 two-letter code"
    properties["locale"]["description"] = "language tag like es or es-ES"
    properties["timezone"]["description"] = "IANA time zone like Europe/Madrid"
    return {
        "type": "object",
        "required": ["email"],
        "properties": properties,
        "additionalProperties": {
            "description": "any other key is stored in attributes",
            "type": ["string", "number", "boolean"],
        },
    }


def _responses(created: str, schema: str) -> dict[str, Any]:
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {
        "201": {
            "description": created,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
        },
        "400": {"description": "the body cannot be parsed", "content": error},
        "401": {"description": "missing or unknown API key", "content": error},
        "404": {"description": "no such lead (events)", "content": error},
        "413": {"description": "the body is larger than 64 KiB", "content": error},
        "415": {"description": "unsupported Content-Type", "content": error},
        "422": {"description": "a field is invalid: `field` names it", "content": error},
        "500": {"description": "a server error (logged); `field` is null", "content": error},
    }


def _body(schema: str, example: dict[str, Any], xml_root: str) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{schema}"}
    return {
        "required": True,
        "content": {
            "application/json": {"schema": ref, "example": example},
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "additionalProperties": {"type": "string"}},
                "description": "flat names: consent.purpose, attributes.x, data.x; "
                "tags comma-separated or repeated",
            },
            "application/xml": {"schema": {**ref, "xml": {"name": xml_root}}},
        },
    }


def document(base_url: str) -> dict[str, Any]:
    lead_responses = _responses("the lead was created", "LeadCreated")
    lead_responses["200"] = {
        "description": "merged into a known lead (same normalised address)",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LeadCreated"}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "nurture capture API",
            "version": "1",
            "description": "Leads and behaviour events from web forms, lead vendors and "
            "other systems. Bodies: JSON, form-encoded name–value pairs or XML (no DTD). "
            "Every answer under /api/ is JSON, errors included: an unknown path is a 404 "
            "and a wrong method a 405 (with `Allow`), both as an Error with `field` null.",
        },
        "servers": [{"url": base_url}],
        "security": [{"bearer": []}],
        "paths": {
            "/api/leads": {
                "post": {
                    "summary": "Create a lead or merge into the known one",
                    "description": "Consent is recorded only with a proof; under "
                    "legitimate_interest only business contacts (with a company) are "
                    "accepted and get the GDPR art. 14 notice before any campaign mail.",
                    "operationId": "postLead",
                    "requestBody": _body("Lead", LEAD_EXAMPLE, "lead"),
                    "responses": lead_responses,
                }
            },
            "/api/events": {
                "post": {
                    "summary": "Record a behaviour event for a known lead",
                    "description": "Types nurture records itself (consent, sends, opens, "
                    "clicks, unsubscribes, erasure) or derives (score, stage and hand-off "
                    "changes: became_*, disqualified, handoff_*, sales_*) are refused. "
                    "`campaign` and `step` file the event under the campaign and step it "
                    "came from (a reply, a call, a conversion): the campaign must be loaded "
                    "and have that step.",
                    "operationId": "postEvent",
                    "requestBody": _body("Event", EVENT_EXAMPLE, "event"),
                    "responses": _responses("the event was recorded", "EventRecorded"),
                }
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Lead": _lead_schema(),
                "Consent": {
                    "type": "object",
                    "required": ["purpose", "basis", "proof"],
                    "properties": {
                        "purpose": {"type": "string", "description": "id in purposes.yaml"},
                        "basis": {"enum": ["consent", "legitimate_interest"]},
                        "proof": {"type": "string", "maxLength": 2000},
                    },
                },
                "Event": {
                    "type": "object",
                    "required": ["type"],
                    "properties": {
                        "email": {"type": "string", "format": "email"},
                        "lead": {"type": "string", "description": "the lead's id, or email"},
                        "type": {"type": "string", "pattern": "^[a-z][a-z0-9_]{1,63}$"},
                        "occurred_at": {"type": "string", "format": "date-time"},
                        "data": {"type": "object"},
                        "campaign": {
                            "type": "string",
                            "description": "id of a loaded campaign the event came from",
                        },
                        "step": {
                            "type": "string",
                            "description": "a step of `campaign` (needs `campaign`)",
                        },
                    },
                },
                "LeadCreated": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "created": {"type": "boolean"},
                        "consent": {"type": "boolean", "description": "a record was added"},
                    },
                },
                "EventRecorded": {
                    "type": "object",
                    "properties": {
                        "lead": {"type": "string"},
                        "type": {"type": "string"},
                        "occurred_at": {"type": "string", "format": "date-time"},
                        "campaign": {"type": ["string", "null"]},
                        "step": {"type": ["string", "null"]},
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error", "field"],
                    "properties": {
                        "error": {"type": "string"},
                        "field": {
                            "type": ["string", "null"],
                            "description": "the field to fix; null when no field is at "
                            "fault (unknown path, wrong method, server error)",
                        },
                    },
                },
            },
        },
    }
