"""The record of processing activities (GDPR art. 30), generated from the configuration.

One activity per consent purpose, with the campaigns that run under it: what the DPO
files, and what stays true because it is derived from the files that drive sending.
"""

from __future__ import annotations

from typing import Any

from nurture.campaigns.purposes import Purposes
from nurture.campaigns.registry import CampaignSet
from nurture.config import Settings
from nurture.models.lead import CONTRACT_FIELDS

SECURITY = [
    "signed, expiring, single-purpose links (itsdangerous, key rotation)",
    "suppression list kept only as keyed hashes (HMAC-SHA256)",
    "consent ledger is append-only (database trigger)",
    "CSRF tokens on every form; no-referrer and no-store on personal pages",
    "tokens redacted from access logs",
]


def processing_record(
    purposes: Purposes, campaigns: CampaignSet, settings: Settings
) -> dict[str, Any]:
    by_purpose: dict[str, list[str]] = {purpose.id: [] for purpose in purposes}
    for loaded in campaigns.campaigns.values():
        by_purpose.setdefault(loaded.campaign.purpose, []).append(loaded.campaign.id)
    return {
        "controller": {"name": settings.brand_name, "postal_address": settings.postal_address},
        "activities": [
            {
                "purpose": purpose.id,
                "title": purpose.title["en"],
                "lawful_basis": purpose.basis,
                "wording": purpose.wording["en"],
                "description": purpose.description,
                "campaigns": sorted(by_purpose[purpose.id]),
            }
            for purpose in purposes
        ],
        "data_subjects": "prospects and customers who signed up, were imported or reached "
        "through the capture API",
        "data_categories": [
            *CONTRACT_FIELDS,
            "attributes",
            "consent ledger (wording, time, source, IP and user agent when stored)",
            "behaviour events",
            "messages",
            "score",
        ],
        "recipients": ["the SMTP relay in NURTURE_SMTP_URL", "sales owners (hand-off)"],
        "retention": {
            "unconfirmed_signups_days": settings.confirm_days,
            "tracking_events_days": settings.retain_tracking_days,
            "inactive_leads_days": settings.retain_inactive_days,
            "suppression_list": "kept without end, as keyed hashes only",
        },
        "consent_ip_stored": settings.store_consent_ip,
        "security_measures": SECURITY,
    }


def as_text(record: dict[str, Any]) -> str:
    lines = [
        "Record of processing activities (GDPR art. 30)",
        f"Controller: {record['controller']['name']}, "
        f"{record['controller']['postal_address'] or '(NURTURE_POSTAL_ADDRESS not set)'}",
        "",
    ]
    for activity in record["activities"]:
        lines += [
            f"Purpose {activity['purpose']}: {activity['title']}",
            f"  lawful basis: {activity['lawful_basis']}",
            f"  campaigns: {', '.join(activity['campaigns']) or 'none yet'}",
            f"  wording: {activity['wording']}",
            "",
        ]
    lines.append(f"Data subjects: {record['data_subjects']}")
    lines.append(f"Data categories: {', '.join(record['data_categories'])}")
    lines.append(f"Recipients: {', '.join(record['recipients'])}")
    lines.append("Retention: " + ", ".join(f"{k} {v}" for k, v in record["retention"].items()))
    lines.append("Security: " + "; ".join(record["security_measures"]))
    return "\n".join(lines) + "\n"
