"""scoring.yaml's part of `nurture campaigns validate [PATH…]`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from nurture.campaigns.problems import Problem
from nurture.scoring.loader import SCORING_FILE, read_scoring

SECRET_VARIABLE = "NURTURE_HANDOFF_WEBHOOK_SECRET"  # noqa: S105 - its name, not a secret


def scoring_files(paths: Sequence[Path] | None, campaigns_dir: Path) -> list[Path]:
    """The scoring files among `paths` (a folder means its scoring.yaml, if any)."""
    candidates = (
        [campaigns_dir / SCORING_FILE]
        if not paths
        else [
            path / SCORING_FILE if path.is_dir() else path
            for path in paths
            if path.is_dir() or path.name == SCORING_FILE
        ]
    )
    return [path for path in candidates if path.is_file()]


def scoring_problems(
    paths: Sequence[Path] | None, campaigns_dir: Path, webhook_secret: str | None
) -> list[Problem]:
    problems: list[Problem] = []
    for path in scoring_files(paths, campaigns_dir):
        rules, found = read_scoring(path)
        problems += found
        webhook = rules.handoff.webhook if rules and rules.handoff else None
        if webhook is not None and not webhook_secret:
            message = f"{SECRET_VARIABLE} is not set: hand-off webhooks cannot be signed"
            problems.append(Problem(Path("environment"), 0, message))
    return problems
