"""The URLs that go into emails. Each carries a token signed for exactly one purpose.

Paths are ours to choose (the contract fixes only their behaviour); they are short
because mail clients wrap long lines and some scanners truncate URLs.
"""

from __future__ import annotations

from dataclasses import dataclass

from nurture.consent.tokens import Tokens


@dataclass(frozen=True)
class Links:
    base_url: str
    tokens: Tokens

    def unsubscribe(self, lead_public_id: str, purpose: str, campaign_id: str | None) -> str:
        token = self.tokens.sign("unsubscribe", [lead_public_id, purpose, campaign_id])
        return f"{self.base_url}/u/{token}"

    def preferences(self, lead_public_id: str) -> str:
        return f"{self.base_url}/p/{self.tokens.sign('preferences', lead_public_id)}"

    def my_data(self, lead_public_id: str) -> str:
        return f"{self.base_url}/my-data/{self.tokens.sign('preferences', lead_public_id)}"

    def confirm(self, lead_public_id: str, purposes: list[str]) -> str:
        return f"{self.base_url}/confirm/{self.tokens.sign('confirm', [lead_public_id, purposes])}"

    def erase(self, lead_public_id: str) -> str:
        return f"{self.base_url}/erase/{self.tokens.sign('erase', lead_public_id)}"

    def address(self, change_public_id: str) -> str:
        """Confirms a changed address; the token names the pending change, not the lead."""
        return f"{self.base_url}/address/{self.tokens.sign('address', change_public_id)}"
