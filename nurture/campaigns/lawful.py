"""Lint: a campaign's purpose is one mail can be sent under, on a documented lawful basis.

The loader already refuses a purpose that purposes.yaml does not declare, and
`tracking` (the consent to open and click tracking, never a reason to send: a campaign
under it must not even run), and the purposes schema requires a basis for each. What
remains to check is what the basis means: legitimate interest (GDPR art. 6(1)(f)) is
only a basis after a balancing test, which the purpose's `description` must record
(accountability, art. 5(2)).
"""

from __future__ import annotations

from nurture.campaigns.problems import Problem
from nurture.campaigns.purposes import PURPOSES_FILE, Purposes
from nurture.campaigns.registry import LoadedCampaign


def purpose_problems(loaded: LoadedCampaign, purposes: Purposes | None) -> list[Problem]:
    """None when purposes.yaml is broken: its own problems are reported already."""
    purpose = purposes.get(loaded.campaign.purpose) if purposes is not None else None
    if purpose is None:
        return []
    line = loaded.line_of(("purpose",))
    if purpose.basis == "legitimate_interest" and not purpose.description:
        message = (
            f"purpose {purpose.id!r} relies on legitimate interest, but {PURPOSES_FILE} "
            "records no balancing test: describe it in the purpose's `description`"
        )
        return [Problem(loaded.path, line, message)]
    return []
