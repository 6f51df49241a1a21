"""The marketer's commands: preview, simulate, report and webhooks."""

from __future__ import annotations

import click

from nurture.cli import preview, report, simulate, webhooks


def register(cli: click.Group) -> None:
    for module in (preview, simulate, report, webhooks):
        module.register(cli)
