"""The variables a template sees (contract): ``lead``, ``campaign``, ``step`` and links.

Plain dicts and lists only: the sandbox exposes every public attribute of an object, and
a template must see the same shape for the sample lead used in validation as for a real
lead, so that what validates also sends (`StrictUndefined` turns any difference into an
error). Lead keys outside the contract are dropped for the same reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nurture.campaigns.schema import Campaign, Step
from nurture.models.lead import CONTRACT_FIELDS

SAMPLE_LEAD: Mapping[str, Any] = {
    "email": "alex.sample@example.com",
    "first_name": "Alex",
    "last_name": "Sample",
    "phone": "+34 600 000 000",
    "company": "Example Corp",
    "job_title": "Head of Marketing",
    "industry": "Software",
    "company_size": "51-200",
    "website": "https://www.example.com",
    "country": "ES",
    "locale": "en",
    "timezone": "Europe/Madrid",
    "source": "sample",
    "tags": ["sample"],
    "attributes": {},
}
# Shaped like an itsdangerous token (payload.timestamp.signature) but signed by nothing.
_SAMPLE_TOKEN = "eyJsIjoic2FtcGxlIn0.Z2FtcGxl.c2FtcGxlLXNpZ25hdHVyZS1ub3QtdmFsaWQ"  # noqa: S105


def template_context(
    lead: Mapping[str, Any],
    campaign: Campaign,
    step: Step,
    *,
    unsubscribe_url: str,
    preferences_url: str,
    postal_address: str,
) -> dict[str, Any]:
    view: dict[str, Any] = {name: lead.get(name) for name in CONTRACT_FIELDS}
    view["tags"] = list(lead.get("tags") or [])
    view["attributes"] = dict(lead.get("attributes") or {})
    return {
        "lead": view,
        "campaign": {"id": campaign.id, "name": campaign.name},
        "step": {"id": step.id},
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": preferences_url,
        "postal_address": postal_address,
    }


def sample_context(
    campaign: Campaign, step: Step, base_url: str, postal_address: str
) -> dict[str, Any]:
    """A realistic context for validation and previews: every field filled, fake links."""
    base = base_url.rstrip("/")
    return template_context(
        SAMPLE_LEAD,
        campaign,
        step,
        unsubscribe_url=f"{base}/u/{_SAMPLE_TOKEN}",
        preferences_url=f"{base}/p/{_SAMPLE_TOKEN}",
        postal_address=postal_address,
    )
