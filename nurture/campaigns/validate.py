"""The core of ``nurture campaigns validate [PATH…]``.

Loads the campaign and purposes files, then renders every step against a sample lead,
exactly as the send path would, so a broken template is a ``file:line`` message before a
campaign goes live, never a half-sent email.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from nurture.campaigns import mailcheck
from nurture.campaigns.lawful import purpose_problems
from nurture.campaigns.problems import Problem, sort_problems
from nurture.campaigns.purposes import PURPOSES_FILE, read_purposes
from nurture.campaigns.registry import NOT_CAMPAIGNS, CampaignSet, LoadedCampaign, load_campaigns
from nurture.mail.context import sample_context
from nurture.mail.render import RenderedMail, Renderer, TemplateError
from nurture.scoring.validate import scoring_problems

POSTAL_VARIABLE = "NURTURE_POSTAL_ADDRESS"
# Templates are still rendered without the setting, so one run shows every problem.
_PLACEHOLDER_ADDRESS = "Postal address not configured"
_PLAIN_SUBJECT = "Subject"


class ValidationSettings(Protocol):
    """What validation reads from `nurture.config.Settings` (which satisfies it)."""

    @property
    def campaigns_dir(self) -> Path: ...
    @property
    def templates_dir(self) -> Path: ...
    @property
    def base_url(self) -> str: ...
    @property
    def postal_address(self) -> str | None: ...
    @property
    def handoff_webhook_secret(self) -> str | None: ...


def validate_paths(paths: Sequence[Path] | None, settings: ValidationSettings) -> list[Problem]:
    """Every problem in ``paths`` (files or folders; default: the campaigns folder)."""
    problems: list[Problem] = []
    if not settings.postal_address:
        message = f"{POSTAL_VARIABLE} is not set: every marketing email must show it"
        problems.append(Problem(Path("environment"), 0, message))
    renderer = Renderer(settings.templates_dir)
    for campaign_set in _load(paths, settings):
        problems += campaign_set.problems
        for loaded in campaign_set.campaigns.values():
            problems += check_campaign(loaded, renderer, settings)
            problems += purpose_problems(loaded, campaign_set.purposes)
    problems += scoring_problems(paths, settings.campaigns_dir, settings.handoff_webhook_secret)
    return sort_problems(problems)


def _load(paths: Sequence[Path] | None, settings: ValidationSettings) -> list[CampaignSet]:
    if not paths:
        return [load_campaigns(settings.campaigns_dir)]
    sets, files = [], defaultdict(list)
    for path in paths:
        if path.is_dir():
            sets.append(load_campaigns(path))
        elif not path.exists():
            sets.append(CampaignSet(problems=[Problem(path, 0, "no such file or folder")]))
        elif path.name == PURPOSES_FILE:
            sets.append(CampaignSet(problems=read_purposes(path)[1]))
        elif path.name not in NOT_CAMPAIGNS:  # scoring.yaml is checked by its own loader
            files[path.parent].append(path)
    for folder, group in files.items():
        purposes = folder / PURPOSES_FILE
        if not purposes.is_file():  # a lone campaign file is checked against the default
            purposes = settings.campaigns_dir / PURPOSES_FILE
        sets.append(load_campaigns(folder, files=group, purposes_path=purposes))
    return sets


def check_campaign(
    loaded: LoadedCampaign, renderer: Renderer, settings: ValidationSettings
) -> list[Problem]:
    problems: list[Problem] = []
    for index in range(len(loaded.campaign.steps)):
        problems += check_step(loaded, index, renderer, settings)
    return problems


def check_step(
    loaded: LoadedCampaign, index: int, renderer: Renderer, settings: ValidationSettings
) -> list[Problem]:
    """Render one step against a sample lead and check what a reader would get."""
    step = loaded.campaign.steps[index]
    template_line = loaded.line_of(("steps", index, "template"))
    subject_line = loaded.line_of(("steps", index, "subject"))

    def at(line: int, messages: list[str]) -> list[Problem]:
        return [Problem(loaded.path, line, f"step {step.id!r}: {text}") for text in messages]

    path = settings.templates_dir / step.template
    if not path.is_file():
        return at(template_line, [f"template not found: {path}"])
    address = settings.postal_address or _PLACEHOLDER_ADDRESS
    context = sample_context(loaded.campaign, step, settings.base_url, address)
    mail = _render(renderer, step.subject, step.template, context)
    subject_errors: list[str] = []
    if isinstance(mail, list):
        # The subject renders first and hides the body: render the body on its own to
        # tell which of the two broke, and report both when both did.
        subject_errors = mail
        mail = _render(renderer, _PLAIN_SUBJECT, step.template, context)
        if isinstance(mail, list):
            subject_errors = [error for error in subject_errors if error not in mail]
            return at(subject_line, subject_errors) + at(template_line, mail)
    subject_issues = subject_errors or mailcheck.subject_issues(mail.subject)
    return at(subject_line, subject_issues) + at(
        template_line, _body_issues(mail, context, settings)
    )


def _body_issues(
    mail: RenderedMail, context: dict[str, object], settings: ValidationSettings
) -> list[str]:
    unsubscribe, preferences = str(context["unsubscribe_url"]), str(context["preferences_url"])
    address = str(context["postal_address"])
    return [
        *mailcheck.html_issues(mail.html, unsubscribe, preferences, address, settings.base_url),
        *mailcheck.text_issues(mail.text, unsubscribe, preferences, address),
    ]


def _render(
    renderer: Renderer, subject: str, template: str, context: dict[str, object]
) -> RenderedMail | list[str]:
    """The rendered mail, or the error as a one-item list.

    Any exception counts: a marketer's template (``{{ 1 / 0 }}``, a sandbox violation the
    renderer lets through) must be reported, never crash the validator.
    """
    try:
        return renderer.render(subject, template, context)
    except TemplateError as exc:
        # The innermost error names the file and line that actually broke.
        while isinstance(exc.__cause__, TemplateError):
            exc = exc.__cause__
        return [str(exc)]
    except Exception as exc:
        return [f"rendering failed: {type(exc).__name__}: {exc}"]
