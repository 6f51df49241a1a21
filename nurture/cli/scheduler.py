"""`nurture scheduler [--once] [--now ISO8601]`."""

from __future__ import annotations

import time
from datetime import datetime

import click

from nurture.cli.common import UserError, instant, runtime
from nurture.clock import FixedClock
from nurture.embedded import drain, embedded_worker
from nurture.engine.scheduler import PassReport


def describe(report: PassReport) -> str:
    plan = report.plan
    line = (
        f"enrolled {report.enrolled}, queued {plan.queued}, skipped {plan.skipped}, "
        f"waiting {plan.waiting}, exited {plan.exited}, completed {plan.completed}, "
        f"re-enqueued {report.requeued}, marked unknown {report.unknown}"
    )
    if report.enqueue_failures:
        line += f"; broker refused {report.enqueue_failures} (kept queued for the next pass)"
    return line


def register(cli: click.Group) -> None:
    @cli.command()
    @click.option("--once", is_flag=True, help="Run one pass and exit.")
    @click.option("--now", callback=instant, help="The clock of this pass (ISO 8601).")
    @click.option("--interval", default=30.0, show_default=True, help="Seconds between passes.")
    def scheduler(once: bool, now: datetime | None, interval: float) -> None:
        """Enrol leads and queue every step that is due."""
        if now is not None and not once:
            raise click.UsageError("--now only makes sense with --once")
        with runtime() as rt:
            if now is not None:
                rt.clock = FixedClock(now)  # the whole pass, sends included, runs at --now
            if not rt.settings.postal_address:
                raise UserError("NURTURE_POSTAL_ADDRESS is required for sending: set it first")
            scheduler_pass = rt.scheduler_pass()
            with embedded_worker(rt) as worker:
                while True:
                    report = scheduler_pass.run(rt.campaigns(), rt.clock.now())
                    drain(rt, worker)
                    for problem in report.problems:
                        click.echo(f"skipped: {problem}", err=True)
                    for note in report.notes:
                        click.echo(note)
                    click.echo(describe(report))
                    if once:
                        return
                    time.sleep(interval)
