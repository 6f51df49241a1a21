"""`nurture simulate CAMPAIGN [--leads N --days D] [--real] [--json]`."""

from __future__ import annotations

import json
from datetime import datetime

import click

from nurture.cli.common import UserError, instant, runtime
from nurture.simulation import service
from nurture.simulation.engagement import Assumptions
from nurture.simulation.outcome import to_table


def _rate(name: str, default: float, what: str) -> click.Option:
    return click.Option([f"--{name}"], type=float, default=default, show_default=True, help=what)


RATES = [
    _rate("open-rate", 0.25, "Share of mails opened (by a person)."),
    _rate("click-rate", 0.04, "Share of mails clicked (a click is also an open)."),
    _rate("reply-rate", 0.01, "Share of mails answered."),
    _rate("unsubscribe-rate", 0.003, "Share of mails followed by an unsubscribe."),
    _rate("convert-rate", 0.005, "Share of mails followed by a conversion a day later."),
]


def register(cli: click.Group) -> None:
    @cli.command(params=RATES)
    @click.argument("campaign_id", metavar="CAMPAIGN")
    @click.option("--leads", "count", default=1000, show_default=True, help="Synthetic leads.")
    @click.option("--days", default=30, show_default=True, help="Length of the virtual run.")
    @click.option("--real", is_flag=True, help="The real matching leads (read-only) instead.")
    @click.option("--start", callback=instant, help="Virtual start (ISO 8601) [default: now].")
    @click.option("--seed", default=1, show_default=True, help="Seed of every random draw.")
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    def simulate(
        campaign_id: str,
        count: int,
        days: int,
        real: bool,
        start: datetime | None,
        seed: int,
        as_json: bool,
        **rates: float,
    ) -> None:
        """Run a campaign on a virtual clock without sending: volumes, timing, exits, lint."""
        with runtime() as rt:
            try:
                outcome = service.simulate_campaign(
                    rt.campaigns(),
                    campaign_id,
                    settings=rt.settings,
                    start=start or rt.clock.now(),
                    days=days,
                    assumptions=Assumptions(**rates, seed=seed),
                    count=count,
                    real=rt.sessions if real else None,
                    suppression_key=rt.settings.suppression_key,
                )
            except (ValueError, service.SimulationError) as error:
                raise UserError(str(error)) from None
        click.echo(json.dumps(outcome.to_json(), indent=2) if as_json else to_table(outcome))
