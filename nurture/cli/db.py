"""`nurture db upgrade`."""

from __future__ import annotations

import click

from nurture import migrate
from nurture.config import load_settings


@click.group()
def db() -> None:
    """Database schema."""


@db.command()
def upgrade() -> None:
    """Apply the Alembic migrations to NURTURE_DATABASE_URL."""
    migrate.upgrade(load_settings().database_url)
    click.echo("database is at the latest schema")


def register(cli: click.Group) -> None:
    cli.add_command(db)
