"""`nurture tracking flush`: write buffered opens and clicks to the database now."""

from __future__ import annotations

import click

from nurture.cli.common import runtime


@click.group()
def tracking() -> None:
    """Open and click tracking."""


@tracking.command("flush")
def flush() -> None:
    """Drain the hit buffer (Redis stream and local spool) into behaviour events."""
    with runtime() as rt:
        report = rt.tracking.drainer.drain()
    click.echo(report.describe())


def register(cli: click.Group) -> None:
    cli.add_command(tracking)
