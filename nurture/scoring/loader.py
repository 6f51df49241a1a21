"""`campaigns/scoring.yaml` → `ScoringRules`, with ``file:line`` problems.

A campaigns folder without the file scores with the default that ships with nurture
(`nurture/scoring/default.yaml`, the same text as the example `campaigns/scoring.yaml`).
A broken file is never half-applied: scoring waits, everywhere alike, until it is fixed
(every worker would otherwise score with whatever version it happened to load last).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from nurture.campaigns.problems import Problem
from nurture.campaigns.yamlsource import load_model
from nurture.scoring.rules import ScoringRules

SCORING_FILE = "scoring.yaml"
DEFAULT_RULES = Path(__file__).with_name("default.yaml")


class ScoringUnavailable(RuntimeError):
    """scoring.yaml is invalid; ``str()`` lists every ``file:line: message``."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass(frozen=True)
class LoadedRules:
    path: Path
    rules: ScoringRules | None
    problems: list[Problem] = field(default_factory=list)

    def require(self) -> ScoringRules:
        if self.rules is None:
            raise ScoringUnavailable(self.problems)
        return self.rules


def read_scoring(path: Path) -> tuple[ScoringRules | None, list[Problem]]:
    rules, _, problems = load_model(path, ScoringRules)
    return rules, problems


def scoring_path(campaigns_dir: Path) -> Path:
    path = campaigns_dir / SCORING_FILE
    return path if path.is_file() else DEFAULT_RULES


def load_rules(campaigns_dir: Path) -> LoadedRules:
    path = scoring_path(campaigns_dir)
    rules, problems = read_scoring(path)
    return LoadedRules(path, rules, problems)


def _signature(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return (str(path), stat.st_mtime_ns, stat.st_size)


class ScoringCatalog:
    """The current rules, reloaded when the file changes (cheap to call per message)."""

    def __init__(self, campaigns_dir: Path) -> None:
        self.campaigns_dir = campaigns_dir
        self._lock = threading.Lock()
        self._signature: tuple[str, int, int] | None = None
        self._current: LoadedRules | None = None

    def __call__(self) -> LoadedRules:
        signature = _signature(scoring_path(self.campaigns_dir))
        with self._lock:
            if self._current is None or signature != self._signature:
                self._current = load_rules(self.campaigns_dir)
                self._signature = signature
            return self._current
