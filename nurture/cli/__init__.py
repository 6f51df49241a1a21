"""The `nurture` command. Each sub-module adds one command or group; they stay thin.

Sub-commands are imported only when used: importing all of them (Flask, Dramatiq,
pydantic, openpyxl…) took a second before any command started.
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

# Command name → module in nurture.cli that registers it.
COMMANDS = (
    "campaigns",
    "db",
    "demo",
    "events",
    "gdpr",
    "leads",
    "messages",
    "preview",
    "report",
    "sales",
    "scheduler",
    "scores",
    "simulate",
    "tracking",
    "web",
    "webhooks",
    "worker",
)


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(f"nurture.cli.{cmd_name}")
        scratch = click.Group()
        module.register(scratch)
        return scratch.commands.get(cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log debug details.")
def cli(verbose: bool) -> None:
    """nurture: GDPR-aware email nurture and drip campaigns."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _user_errors() -> tuple[type[Exception], ...]:
    """Problems the user must fix: one line and exit status 1 (imported lazily too)."""
    from nurture.campaigns.purposes import PurposesError
    from nurture.cli.common import UserError
    from nurture.config import ConfigError

    return (UserError, ConfigError, PurposesError)


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.UsageError as error:
        error.show()
        sys.exit(2)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except Exception as error:
        message = _explain(error)
        if message is None:
            raise
        click.echo(f"error: {message}", err=True)
        sys.exit(1)


def _explain(error: Exception) -> str | None:
    """One line for a problem the user can fix, or None for a bug (shown as a traceback)."""
    if isinstance(error, _user_errors()):
        return str(error)
    from sqlalchemy.exc import OperationalError, ProgrammingError

    if isinstance(error, OperationalError | ProgrammingError):
        text = str(error.orig)
        if "no such table" in text or "does not exist" in text:
            return (
                "the database has no nurture schema, or an older one: run `nurture db upgrade`"
                f" ({text.splitlines()[0]})"
            )
        if isinstance(error, OperationalError):
            return f"cannot use the database at NURTURE_DATABASE_URL: {text.splitlines()[0]}"
    return None
