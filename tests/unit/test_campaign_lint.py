"""`campaigns validate` lints the purpose: a mailing purpose with a documented lawful basis."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nurture.campaigns.validate import validate_paths
from nurture.config import Settings

REPO = Path(__file__).resolve().parents[2]
CAMPAIGN = """\
name: Test
purpose: {purpose}
sender: "Acme <hello@acme.example>"
entry:
  on: consent_confirmed
steps:
  - id: hello
    subject: Hello
    template: welcome/hello.html
"""
PURPOSES_WITH_LI = """\
purposes:
  - id: newsletter
    basis: consent
    title: {{en: Newsletter}}
    wording: {{en: Email me the newsletter.}}
  - id: partners
    basis: legitimate_interest
    title: {{en: Partner news}}
    wording: {{en: News for our business partners.}}{description}
  - id: tracking
    basis: consent
    title: {{en: Tracking}}
    wording: {{en: Record my opens and clicks.}}
"""


def problems(tmp_path: Path, purpose: str, purposes: str | None = None) -> list[str]:
    campaigns = tmp_path / "campaigns"
    campaigns.mkdir(exist_ok=True)
    if purposes is None:
        shutil.copy(REPO / "campaigns" / "purposes.yaml", campaigns)
    else:
        (campaigns / "purposes.yaml").write_text(purposes)
    (campaigns / "test.yaml").write_text(CAMPAIGN.format(purpose=purpose))
    settings = Settings(
        campaigns_dir=campaigns,
        templates_dir=REPO / "templates",
        base_url="https://mail.acme.example",
        postal_address="Acme S.L., Calle Mayor 1, 28013 Madrid",
    )
    found = validate_paths(None, settings)
    return [str(problem).replace(f"{tmp_path}/", "") for problem in found]


@pytest.mark.parametrize(
    ("purpose", "purposes", "expected"),
    [
        ("newsletter", None, []),
        (
            "tracking",
            None,
            [
                "campaigns/test.yaml:2: purpose 'tracking' is the consent to open and click "
                "tracking, not to receiving mail: name the purpose this mail is sent under"
            ],
        ),
        (
            "partners",
            PURPOSES_WITH_LI.format(description=""),
            [
                "campaigns/test.yaml:2: purpose 'partners' relies on legitimate interest, but "
                "purposes.yaml records no balancing test: describe it in the purpose's "
                "`description`"
            ],
        ),
        (
            "partners",
            PURPOSES_WITH_LI.format(
                description="\n    description: Existing B2B partners expect product news."
            ),
            [],
        ),
        (
            "newsleter",
            None,
            [
                "campaigns/test.yaml:2: unknown purpose 'newsleter': purposes.yaml declares "
                "newsletter, product_updates, events, tracking"
            ],
        ),
    ],
    ids=["consent", "tracking is no mailing purpose", "undocumented LI", "documented LI", "typo"],
)
def test_purpose_lint(
    tmp_path: Path, purpose: str, purposes: str | None, expected: list[str]
) -> None:
    """Each case gives exactly these problems, at the campaign's `purpose:` line."""
    assert problems(tmp_path, purpose, purposes) == expected
