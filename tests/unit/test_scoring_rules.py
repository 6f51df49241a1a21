"""scoring.yaml: the shipped file is valid, and every mistake is a file:line message."""

from __future__ import annotations

from pathlib import Path

import pytest

from nurture.campaigns.validate import validate_paths
from nurture.config import Settings
from nurture.scoring.loader import DEFAULT_RULES, ScoringCatalog, read_scoring
from tests.conftest import REPO

GOOD = """\
behaviour:
  - id: reply
    event: replied
    points: 2
temperature:
  warm: 40
  hot: 70
"""


def problems_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "scoring.yaml"
    path.write_text(text)
    rules, problems = read_scoring(path)
    assert (rules is None) == bool(problems)
    return [str(problem).removeprefix(f"{path}:") for problem in problems]


def test_the_shipped_rules_are_valid_and_the_example_is_the_default() -> None:
    """campaigns/scoring.yaml is the packaged default, word for word (no drift)."""
    rules, problems = read_scoring(DEFAULT_RULES)
    assert problems == []
    assert rules is not None
    assert rules.handoff is not None
    assert (REPO / "campaigns/scoring.yaml").read_text() == DEFAULT_RULES.read_text()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            GOOD.replace("    points: 2", "    point: 2"),
            "4: unknown key 'point' in behaviour[0] (did you mean 'points'?)",
        ),
        (GOOD.replace("points: 2", "points: two"), "4: behaviour[0].points: input should be"),
        (GOOD.replace("points: 2", "points: 500"), "4: behaviour[0].points: input should be less"),
        (GOOD.replace("hot: 70", "hot: 30"), "5: temperature: warm (40) must be below hot (30)"),
        (
            GOOD + "decay:\n  half_life: 30 days\n",
            "9: decay.half_life:",
        ),
        (
            GOOD.replace("    points: 2", "    data: {minutes: '>= twenty'}\n    points: 2"),
            "4: behaviour[0].data.minutes: '>= twenty' is not a comparison",
        ),
        (
            "behaviour:\n  - {id: reply, event: replied, points: 2}\n"
            "fit:\n  - {id: reply, field: country, in: [ES], points: 1}\n",
            "4: rule id 'reply' is already used in behaviour",
        ),
        (
            "fit:\n  - id: x\n    field: salary\n    at_least: 3\n    points: 5\n",
            "3: fit[0].field: unknown lead field 'salary'",
        ),
        (
            "fit:\n  - id: x\n    field: job_title\n    points: 5\n",
            "2: fit[0]: give at least one test: matches, in, at_least or below",
        ),
        (
            "disqualify:\n  - id: x\n    reason: r\n    field: job_title\n    matches: ['*']\n"
            "    event: converted\n",
            "2: disqualify[0]: give either `field` (a profile test) or `event`, not both",
        ),
        (
            "handoff:\n  when: {stage: sql}\n  mode: push\n",
            "3: push mode needs at least one active rep under `reps`",
        ),
        (
            "handoff:\n  when: {}\n",
            "2: handoff.when: name a `stage` or a `temperature`",
        ),
        (
            "handoff:\n  when: {stage: sql}\n  webhook:\n    url: ftp://crm.example/x\n",
            "4: handoff.webhook.url: 'ftp://crm.example/x' is not an http:// or https:// URL",
        ),
        (
            "handoff:\n  when: {stage: sql}\n  reps:\n    - id: ana\n      email: not-an-address\n",
            "5: handoff.reps[0].email:",
        ),
        (
            "handoff:\n  when: {stage: sql}\n  reps:\n    - {id: a, email: a@x.example}\n"
            "    - {id: a, email: b@x.example}\n",
            "5: duplicate rep id 'a'",
        ),
        ("behaviour:\n  - id: x\n    event: on\n    points: NO\n", "4: `NO` is read by YAML"),
    ],
)
def test_mistakes_point_at_their_line(tmp_path: Path, text: str, expected: str) -> None:
    """One clear message at the offending line, as for campaign files."""
    found = problems_of(tmp_path, text)
    assert any(problem.startswith(expected) for problem in found), found


def test_campaigns_validate_checks_scoring_yaml(tmp_path: Path) -> None:
    """`nurture campaigns validate` reports scoring.yaml problems, and a missing secret."""
    folder = tmp_path / "campaigns"
    folder.mkdir()
    (folder / "purposes.yaml").write_text((REPO / "campaigns/purposes.yaml").read_text())
    (folder / "scoring.yaml").write_text(
        GOOD.replace("points: 2", "points: 2.5")
        + "handoff:\n  when: {stage: sql}\n  webhook: {url: 'https://crm.example/h'}\n"
    )
    settings = Settings(
        campaigns_dir=folder,
        templates_dir=REPO / "templates",
        postal_address="Calle Mayor 1, Madrid",
    )
    found = [str(p) for p in validate_paths(None, settings)]
    assert any(p.startswith(f"{folder / 'scoring.yaml'}:4: behaviour[0].points") for p in found)
    (folder / "scoring.yaml").write_text(
        GOOD + "handoff:\n  when: {stage: sql}\n  webhook: {url: 'https://crm.example/h'}\n"
    )
    found = [str(p) for p in validate_paths([folder / "scoring.yaml"], settings)]
    assert found == [
        "environment: NURTURE_HANDOFF_WEBHOOK_SECRET is not set: hand-off webhooks cannot be signed"
    ]
    secret = settings.with_overrides(handoff_webhook_secret="s3cret")
    assert validate_paths([folder], secret) == []


def test_catalog_falls_back_to_the_default_and_reloads_on_change(tmp_path: Path) -> None:
    """No scoring.yaml: the shipped rules; a file: its rules; a broken file: none, with problems."""
    catalog = ScoringCatalog(tmp_path)
    assert catalog().path == DEFAULT_RULES
    (tmp_path / "scoring.yaml").write_text(GOOD)
    loaded = catalog()
    assert loaded.rules is not None
    assert [r.id for r in loaded.rules.behaviour] == ["reply"]
    (tmp_path / "scoring.yaml").write_text(GOOD + "nonsense: 1\n")
    broken = catalog()
    assert broken.rules is None
    assert broken.problems
