"""The `nurture` command. Each sub-module adds one command group; they stay thin."""

from __future__ import annotations

import logging
import sys

import click

from nurture.campaigns.purposes import PurposesError
from nurture.cli import (
    campaigns,
    db,
    demo,
    events,
    gdpr,
    leads,
    marketer,
    messages,
    sales,
    scheduler,
    scores,
    tracking,
    web,
    worker,
)
from nurture.cli.common import UserError
from nurture.config import ConfigError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log debug details.")
def cli(verbose: bool) -> None:
    """nurture: GDPR-aware email nurture and drip campaigns."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


for module in (db, campaigns, leads, events, scheduler, worker, web, messages, demo, tracking):
    module.register(cli)
for module in (scores, sales):  # lead scoring and the hand-off to sales
    module.register(cli)
gdpr.register(cli)  # data-subject requests, retention, record of processing
marketer.register(cli)  # preview, simulate, report, webhooks


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
    except (UserError, ConfigError, PurposesError) as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
