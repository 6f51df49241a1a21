"""Every campaign file of a folder, validated one by one.

A broken file is reported and left out; it never stops the others from loading, so one
marketer's typo cannot pause every running campaign.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.utils import getaddresses
from pathlib import Path
from typing import Any

from email_validator import EmailNotValidError, validate_email

from nurture.campaigns.problems import Problem
from nurture.campaigns.purposes import PURPOSES_FILE, Purposes, read_purposes
from nurture.campaigns.schema import Campaign
from nurture.campaigns.yamlsource import ParsedYaml, load_model
from nurture.mail.headers import parse_mailbox
from nurture.tracking.policy import PURPOSE as TRACKING_PURPOSE

# Files in the campaigns folder that are not campaigns (scoring.yaml has its own loader).
NOT_CAMPAIGNS = frozenset({PURPOSES_FILE, "scoring.yaml"})


@dataclass(frozen=True)
class LoadedCampaign:
    campaign: Campaign
    path: Path
    # sha256 of the validated model's canonical JSON: comments and layout do not count.
    version: str
    source: ParsedYaml = field(repr=False, compare=False)

    def line_of(self, loc: Sequence[str | int]) -> int:
        """The line of a value in the file, e.g. ``("steps", 1, "subject")``."""
        return self.source.line_of(loc)


@dataclass
class CampaignSet:
    campaigns: dict[str, LoadedCampaign] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # None when purposes.yaml is missing or broken (its problems are in `problems`).
    purposes: Purposes | None = None

    def may_return(self, campaign_id: str) -> bool:
        """Whether a campaign that is not loaded now may load again soon: its file is
        there but does not load (a typo, an editor's half-written save), or nothing loads
        at all (the folder missing on this machine, purposes.yaml broken). Otherwise no
        file defines it any more: it was removed (or renamed, its id being the stem)."""
        if not self.campaigns:
            return True
        return any(problem.path.stem == campaign_id for problem in self.problems)


def campaign_files(campaigns_dir: Path) -> list[Path]:
    paths = campaigns_dir.glob("*.yaml")
    return sorted(path for path in paths if path.name not in NOT_CAMPAIGNS and path.is_file())


def campaign_version(campaign: Campaign) -> str:
    data = campaign.model_dump(mode="json", by_alias=True)
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def load_campaigns(
    campaigns_dir: Path,
    files: Sequence[Path] | None = None,
    purposes_path: Path | None = None,
) -> CampaignSet:
    """Load ``files`` (default: every campaign in the folder) against the folder's purposes."""
    result = CampaignSet()
    if files is None and not campaigns_dir.is_dir():
        result.problems.append(Problem(campaigns_dir, 0, "campaigns folder not found"))
        return result
    purposes, problems = read_purposes(purposes_path or campaigns_dir / PURPOSES_FILE)
    result.purposes, result.problems = purposes, problems
    for path in campaign_files(campaigns_dir) if files is None else files:
        loaded, found = load_campaign(path, purposes)
        result.problems += found
        if loaded is not None:
            _add_unique(result, loaded)
    return result


def _add_unique(result: CampaignSet, loaded: LoadedCampaign) -> None:
    campaign_id = loaded.campaign.id
    first = result.campaigns.get(campaign_id)
    if first is None:
        result.campaigns[campaign_id] = loaded
        return
    message = f"campaign id {campaign_id!r} is already used by {first.path}"
    result.problems.append(Problem(loaded.path, loaded.line_of(("id",)), message))


def load_campaign(
    path: Path, purposes: Purposes | None
) -> tuple[LoadedCampaign | None, list[Problem]]:
    """One campaign file; ``purposes=None`` skips the purpose check (already reported)."""

    def default_id(data: dict[str, Any]) -> dict[str, Any]:
        return {"id": path.stem, **data}

    campaign, parsed, problems = load_model(path, Campaign, prepare=default_id)
    if campaign is None or parsed is None:
        return None, problems
    problems = _purpose_problems(campaign, parsed, path, purposes)
    for key in ("sender", "reply_to"):
        value = getattr(campaign, key)
        error = address_error(value) if value is not None else None
        if error:
            problems.append(Problem(path, parsed.line_of((key,)), f"{key}: {error}"))
    if problems:
        return None, problems
    return LoadedCampaign(campaign, path, campaign_version(campaign), parsed), []


def _purpose_problems(
    campaign: Campaign, parsed: ParsedYaml, path: Path, purposes: Purposes | None
) -> list[Problem]:
    if campaign.purpose == TRACKING_PURPOSE:
        message = (
            f"purpose {TRACKING_PURPOSE!r} is the consent to open and click tracking, not to "
            "receiving mail: name the purpose this mail is sent under"
        )
        return [Problem(path, parsed.line_of(("purpose",)), message)]
    if purposes is None or campaign.purpose in purposes:
        return []
    known = ", ".join(purposes.ids)
    message = f"unknown purpose {campaign.purpose!r}: {PURPOSES_FILE} declares {known}"
    return [Problem(path, parsed.line_of(("purpose",)), message)]


def address_error(value: str) -> str | None:
    """Why ``value`` is not one ``Name <user@domain>`` or ``user@domain``; None if it is."""
    if "\r" in value or "\n" in value:
        return "must be on one line (a line break here would inject mail headers)"
    addresses = getaddresses([value])
    if len(addresses) != 1 or not addresses[0][1]:
        return f"{value!r} is not one email address (write `Name <user@example.com>`)"
    try:
        validate_email(addresses[0][1], check_deliverability=False)
    except EmailNotValidError as exc:
        return f"{addresses[0][1]!r} is not a valid email address: {exc}"
    try:  # what the mailer writes into From and Reply-To, parsed as it will be then
        parse_mailbox(value)
    except ValueError as exc:
        return f"{value!r} cannot be a From or Reply-To: {exc} (write `Name <user@example.com>`)"
    return None
