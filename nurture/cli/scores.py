"""`nurture scores recompute [--now ISO8601] [--batch-size N]`."""

from __future__ import annotations

import sys
import time
from datetime import datetime

import click
from tqdm import tqdm

from nurture.cli.common import UserError, instant, runtime
from nurture.cli.dispatch import deliver
from nurture.scoring.loader import ScoringUnavailable
from nurture.scoring.recompute import count_leads, recompute_all


@click.group()
def scores() -> None:
    """Lead scores (campaigns/scoring.yaml)."""


@scores.command()
@click.option("--now", callback=instant, help="Score as of this instant (ISO 8601).")
@click.option("--batch-size", default=10_000, show_default=True, type=click.IntRange(1))
def recompute(now: datetime | None, batch_size: int) -> None:
    """Rebuild every lead's score, ledger, temperature and stage, e.g. after a rules
    change (otherwise scores follow the new rules within `decay.refresh`)."""
    with runtime() as rt:
        try:
            rules = rt.scoring().require()
        except ScoringUnavailable as error:
            raise UserError(f"scoring.yaml is invalid:\n{error}") from None
        started = time.perf_counter()
        leads = count_leads(rt.sessions)
        with tqdm(total=leads, unit="leads", file=sys.stderr, disable=None) as bar:
            outcome = recompute_all(
                rt.sessions,
                rules,
                now or rt.clock.now(),
                enqueue_deliveries=lambda ids: deliver(rt, ids),
                count_machines=rt.settings.count_machine_engagement,
                batch_size=batch_size,
                progress=bar.update,
            )
    click.echo(
        f"recomputed {outcome.scored} leads in {time.perf_counter() - started:.1f} s: "
        f"{outcome.changed} changed, {outcome.transitions} stage or temperature changes, "
        f"{outcome.handed_off} handed to sales"
    )


def register(cli: click.Group) -> None:
    cli.add_command(scores)
